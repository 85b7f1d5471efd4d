package reports

import (
	"bytes"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/<test name>.golden, or rewrites it with
// -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run with -update if the change is intended.\n%s", path, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 8; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// The fixed inputs of the golden tests.
func fixtureInput(t testing.TB, name string) Input {
	t.Helper()
	loadConf := func() *Input {
		data, err := os.ReadFile("testdata/conformance.json")
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseConformance(data, "conformance.json")
		if err != nil {
			t.Fatal(err)
		}
		return &Input{Conformance: r, ConformanceSource: "conformance.json"}
	}
	switch name {
	case "full":
		in := loadConf()
		in.Title = "Staging auth load test"
		in.Runs = []*Summary{mustLoad(t, "candidate.json")}
		in.TimeSeries = mustSeries(t, "candidate.ndjson")
		in.Baseline = []*Summary{mustLoad(t, "baseline.json")}
		in.BaselineTimeSeries = mustSeries(t, "baseline.ndjson")
		return *in
	case "summary-only":
		return Input{Runs: []*Summary{mustLoad(t, "baseline.json")}}
	case "split":
		return Input{Title: "Split run", Runs: []*Summary{mustLoad(t, "split-a.json"), mustLoad(t, "split-b.json")}}
	case "conformance-only":
		return *loadConf()
	}
	t.Fatalf("no fixture %q", name)
	return Input{}
}

var fixtureOptions = Options{Tolerance: 0.10, FloorMs: 2}

func fixtureModel(t testing.TB, name string) *Model {
	t.Helper()
	m, err := Build(fixtureInput(t, name), fixtureOptions)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fullModel(t testing.TB) *Model { return fixtureModel(t, "full") }

func TestMarkdown(t *testing.T) {
	for _, name := range []string{"full", "summary-only", "split", "conformance-only"} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderMarkdown(&b, fixtureModel(t, name)); err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(b.String(), "\n")
			if !regexp.MustCompile(`^## (✅ PASS|⚠️ WARN|❌ FAIL) — `).MatchString(first) {
				t.Errorf("first line is not the verdict: %q", first)
			}
			golden(t, b.Bytes())
		})
	}
}

func TestJUnit(t *testing.T) {
	for _, name := range []string{"full", "summary-only"} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderJUnit(&b, fixtureModel(t, name)); err != nil {
				t.Fatal(err)
			}
			golden(t, b.Bytes())
		})
	}
}

func TestHTMLStructure(t *testing.T) {
	for _, name := range []string{"full", "summary-only", "split", "conformance-only"} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderHTML(&b, fixtureModel(t, name)); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			// Self-contained: nothing is loaded from anywhere.
			for _, bad := range []string{"http://", "https://", "src=", "<link", "@import", "url("} {
				for _, line := range strings.Split(page, "\n") {
					if strings.Contains(line, bad) && !allowedURL(line) {
						t.Errorf("page refers to %q: %.200s", bad, strings.TrimSpace(line))
					}
				}
			}
			golden(t, []byte(outline(page)))
		})
	}
}

// allowedURL lets through the SVG namespace and the conformance target,
// which are text, not fetches.
func allowedURL(line string) bool {
	line = strings.ReplaceAll(line, `xmlns="http://www.w3.org/2000/svg"`, "")
	line = strings.ReplaceAll(line, "https://auth.staging.example.com", "")
	return !strings.Contains(line, "http://") && !strings.Contains(line, "https://")
}

var (
	outlineRE = map[string]*regexp.Regexp{
		"h1":         regexp.MustCompile(`(?s)<h1([^>]*)>(.*?)</h1>`),
		"h2":         regexp.MustCompile(`(?s)<h2([^>]*)>(.*?)</h2>`),
		"h3":         regexp.MustCompile(`(?s)<h3([^>]*)>(.*?)</h3>`),
		"section":    regexp.MustCompile(`<section([^>]*)>()`),
		"svg":        regexp.MustCompile(`(?s)<svg([^>]*)>(.*?)</svg>`),
		"figcaption": regexp.MustCompile(`(?s)<figcaption([^>]*)>(.*?)</figcaption>`),
		"table":      regexp.MustCompile(`(?s)<table([^>]*)>(.*?)</table>`),
		"details":    regexp.MustCompile(`(?s)<details([^>]*)>(.*?)</details>`),
		"notice":     regexp.MustCompile(`(?s)<p class="notice"([^>]*)>(.*?)</p>`),
		"headline":   regexp.MustCompile(`(?s)<p class="headline"([^>]*)>(.*?)</p>`),
		"li":         regexp.MustCompile(`(?s)<li([^>]*)>(.*?)</li>`),
		"kpi":        regexp.MustCompile(`(?s)<div class="kpi[^"]*"()><div class="k">(.*?)</div><div class="v">.*?</div><div class="s">.*?</div></div>`),
	}
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	attrRE  = regexp.MustCompile(`(id|data-kind|data-marks|data-verdict)="([^"]*)"`)
	thRE    = regexp.MustCompile(`(?s)<th[^>]*>(.*?)</th>`)
	trRE    = regexp.MustCompile(`<tr[ >]`)
	labelRE = regexp.MustCompile(`<text class="(?:label|legend)"[^>]*>([^<]*)</text>`)
	markRE  = regexp.MustCompile(`<(?:rect|path) class="(?:bar|seg|line) `)
	spaceRE = regexp.MustCompile(`\s+`)
)

func text(s string) string {
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(s, " ")), " "))
}

// outline reduces a page to its structure: headings, sections, key
// numbers (labels only), charts with their marks and labels, table headers
// and row counts, conformance checks.
func outline(page string) string {
	type hit struct {
		tag        string
		start, end int
		attrs      string
		body       string
	}
	var hits []hit
	for tag, re := range outlineRE {
		for _, m := range re.FindAllStringSubmatchIndex(page, -1) {
			hits = append(hits, hit{tag, m[0], m[1], page[m[2]:m[3]], page[m[4]:m[5]]})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var b strings.Builder
	end := 0
	for _, h := range hits {
		if h.start < end {
			continue // inside something already shown
		}
		if h.tag != "section" {
			end = h.end
		}
		var as []string
		for _, a := range attrRE.FindAllStringSubmatch(h.attrs, -1) {
			as = append(as, a[1]+"="+a[2])
		}
		attrs := strings.Join(as, " ")
		switch h.tag {
		case "section":
			fmt.Fprintf(&b, "\nsection %s\n", attrs)
		case "svg":
			var labels []string
			for _, l := range labelRE.FindAllStringSubmatch(h.body, -1) {
				labels = append(labels, html.UnescapeString(l[1]))
			}
			fmt.Fprintf(&b, "  svg %s drawn=%d labels=[%s]\n", attrs, len(markRE.FindAllString(h.body, -1)), strings.Join(labels, "; "))
		case "table":
			var ths []string
			for _, th := range thRE.FindAllStringSubmatch(h.body, -1) {
				ths = append(ths, text(th[1]))
			}
			fmt.Fprintf(&b, "  table %s [%s] rows=%d\n", attrs, strings.Join(ths, " | "), len(trRE.FindAllString(h.body, -1))-1)
		case "details":
			summary, _, _ := strings.Cut(h.body, "</summary>")
			fmt.Fprintf(&b, "  details %s evidence=%d: %s\n", attrs, strings.Count(h.body, `class="evidence"`), text(summary))
		case "h1", "h2", "h3":
			fmt.Fprintf(&b, "%s: %s\n", h.tag, text(h.body))
		default:
			fmt.Fprintf(&b, "  %s: %s\n", h.tag, text(h.body))
		}
	}
	return strings.TrimLeft(b.String(), "\n")
}
