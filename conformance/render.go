package conformance

import (
	"bytes"
	"crypto/ed25519"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Output files of a run.
const (
	FileJUnit    = "conformance.junit.xml"
	FileJSON     = "conformance.json"
	FileMarkdown = "conformance.md"
	FileSig      = "conformance.json.sig"
)

// ---- JUnit XML ----

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// xmlSafe drops the characters XML 1.0 does not allow (CDATA is written
// as is, and a server's answer may hold anything).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

func junitOut(s string) *junitText { return &junitText{Text: xmlSafe(s)} }

func secs(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// RenderJUnit writes the report as JUnit XML: one testsuite per group, one
// testcase per check. A FAIL is a <failure> with the evidence (masked), an
// ERROR an <error>, a SKIP <skipped> with its reason. A FAIL the baseline
// accepts is <skipped> (so that CI agrees with the exit status) with the
// failure in system-out; a WARN passes with its reason in system-out.
func RenderJUnit(w io.Writer, r *Report) error {
	root := junitSuites{Name: "authflow conformance", Time: secs(r.Duration)}
	byGroup := map[string]*junitSuite{}
	var order []string
	for _, c := range r.Checks {
		s := byGroup[c.Group]
		if s == nil {
			s = &junitSuite{Name: c.Group, Timestamp: r.Started.UTC().Format(time.RFC3339), Properties: []junitProperty{
				{"target", r.Target.BaseURL}, {"profiles", strings.Join(r.Target.Profiles, ",")},
				{"outcome", string(r.Summary.Outcome)}, {"headline", r.Summary.Headline()},
				{"verified", fmt.Sprint(r.Summary.Verified)}, {"coverage", r.Summary.Coverage()},
			}}
			byGroup[c.Group] = s
			order = append(order, c.Group)
		}
		tc := junitCase{ClassName: "conformance." + c.Group, Name: c.ID + " " + c.Title, Time: secs(c.Duration)}
		detail := xmlSafe(checkDetail(c))
		switch {
		case c.Verdict == Fail && c.Baseline:
			tc.Skipped = &junitMessage{Message: "FAIL accepted by the baseline: " + firstLine(c.Reason)}
			tc.SystemOut = junitOut(detail)
			s.Skipped++
		case c.Verdict == Fail:
			tc.Failure = &junitMessage{Message: firstLine(c.Reason), Type: string(c.Level), Body: detail}
			s.Failures++
		case c.Verdict == Error:
			tc.Error = &junitMessage{Message: firstLine(c.Reason), Type: "ERROR", Body: detail}
			s.Errors++
		case c.Verdict == Skip:
			tc.Skipped = &junitMessage{Message: c.Reason}
			s.Skipped++
		case c.Verdict == Warn:
			tc.SystemOut = junitOut("WARN (SHOULD not met): " + detail)
		case c.Reason != "":
			tc.SystemOut = junitOut(c.Reason)
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for _, g := range order {
		s := byGroup[g]
		var ms float64
		for _, c := range r.Checks {
			if c.Group == g {
				ms += c.Duration
			}
		}
		s.Time = secs(ms)
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		root.Suites = append(root.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// checkDetail is a check's reason and evidence as plain text.
func checkDetail(c CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s [%s, %s]\n", c.ID, c.Title, c.Level, c.Verdict)
	fmt.Fprintf(&b, "Source: %s\n", c.Source)
	if len(c.Refs) > 0 {
		fmt.Fprintf(&b, "Refs: %s\n", strings.Join(c.Refs, "; "))
	}
	if c.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", c.Reason)
	}
	for i, e := range c.Evidence {
		b.WriteString("\n")
		writeEvidence(&b, i+1, e)
	}
	return b.String()
}

func writeEvidence(b *strings.Builder, n int, e Evidence) {
	fmt.Fprintf(b, "#%d %s: %s %s", n, e.Step, e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(b, " → %d", e.Status)
	}
	b.WriteString("\n")
	if e.Note != "" {
		fmt.Fprintf(b, "   note: %s\n", e.Note)
	}
	for _, k := range sortedKeys(e.RequestHeader) {
		fmt.Fprintf(b, "   > %s: %s\n", k, e.RequestHeader[k])
	}
	if e.RequestBody != "" {
		fmt.Fprintf(b, "   > %s\n", e.RequestBody)
	}
	for _, k := range sortedKeys(e.ResponseHeader) {
		fmt.Fprintf(b, "   < %s: %s\n", k, e.ResponseHeader[k])
	}
	if e.ResponseBody != "" {
		fmt.Fprintf(b, "   < %s\n", e.ResponseBody)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- Markdown ----

func outcomeMark(o Outcome) string {
	switch o {
	case Conformant:
		return "✅"
	case Incomplete:
		return "⚠️"
	}
	return "❌"
}

// RenderMarkdown writes a summary fit for a CI job summary: the verdict,
// the counts, and a table of every check that did not pass, with reasons
// and (folded) evidence.
func RenderMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## authflow conformance: %s %s\n\n", outcomeMark(r.Summary.Outcome), r.Summary.Outcome)
	fmt.Fprintf(&b, "**%s** · %s\n\n", r.Summary.Headline(), r.Summary.Coverage())
	fmt.Fprintf(&b, "Target `%s` · profiles %s · %d checks in %.1f s · %s\n\n",
		r.Target.BaseURL, strings.Join(r.Target.Profiles, ", "), r.Summary.Total, r.Duration/1000, r.Started.UTC().Format(time.RFC3339))
	b.WriteString("| PASS | FAIL | WARN | SKIP | ERROR |\n|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d |\n\n", r.Summary.Pass, r.Summary.Fail, r.Summary.Warn, r.Summary.Skip, r.Summary.Error)
	var rows []CheckResult
	for _, c := range r.Checks {
		if c.Verdict != Pass {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		b.WriteString("Every check passed.\n")
	} else {
		b.WriteString("### Checks not passed\n\n| Check | Level | Verdict | Title | Reason |\n|---|---|---|---|---|\n")
		for _, c := range rows {
			v := string(c.Verdict)
			if c.Baseline {
				v += " (baseline)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.ID, c.Level, v, mdCell(c.Title), mdCell(excerpt(c.Reason, 400)))
		}
		for _, c := range rows {
			if len(c.Evidence) == 0 {
				continue
			}
			var eb strings.Builder
			from := max(0, len(c.Evidence)-mdEvidence)
			for i, e := range c.Evidence[from:] {
				writeEvidence(&eb, from+i+1, e)
			}
			shown := fmt.Sprintf("%d exchanges", len(c.Evidence))
			if from > 0 {
				shown = fmt.Sprintf("the last %d of %d exchanges; all are in %s", mdEvidence, len(c.Evidence), FileJSON)
			}
			fmt.Fprintf(&b, "\n<details><summary>%s evidence (%s)</summary>\n\n```text\n%s```\n\n</details>\n",
				c.ID, shown, strings.ReplaceAll(eb.String(), "```", "ʼʼʼ"))
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n### Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", mdCell(n))
		}
	}
	if r.Digest != "" {
		fmt.Fprintf(&b, "\nReport digest `%s`", r.Digest)
		if r.SignerKey != "" {
			fmt.Fprintf(&b, ", signed by ed25519 key `%s`", r.SignerKey)
		}
		b.WriteString(".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEvidence is how many exchanges per check the Markdown shows.
const mdEvidence = 8

// mdCell makes s safe in a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", "<br>")
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, "&lt;br>", "<br>")
	return s
}

// ---- files ----

// WriteFiles writes the JUnit, JSON (with its digest) and Markdown files
// into dir, and the detached signature when key is set. It sets r.Digest
// (and r.SignerKey when signing).
func WriteFiles(dir string, r *Report, key ed25519.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.SignerKey = ""
	if key != nil {
		r.SignerKey = PublicKeyString(key.Public().(ed25519.PublicKey))
	}
	js, err := MarshalReport(r)
	if err != nil {
		return err
	}
	var junit, md bytes.Buffer
	if err := RenderJUnit(&junit, r); err != nil {
		return err
	}
	if err := RenderMarkdown(&md, r); err != nil {
		return err
	}
	type file struct {
		name string
		b    []byte
	}
	files := []file{{FileJSON, js}, {FileJUnit, junit.Bytes()}, {FileMarkdown, md.Bytes()}}
	if key != nil {
		files = append(files, file{FileSig, Sign(key, js)})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---- terminal ----

// Terminal prints a run as it goes: one line per finished check with a
// progress count, then a summary table. Colour only when asked (the CLI
// asks when stdout is a terminal).
type Terminal struct {
	W     io.Writer
	Color bool
	// Verbose also prints the notes of checks that passed.
	Verbose bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
)

func (t *Terminal) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *Terminal) verdict(v Verdict, baseline bool) string {
	s := fmt.Sprintf("%-5s", v)
	switch {
	case v == Fail && baseline:
		return t.paint(ansiYellow, s)
	case v == Pass:
		return t.paint(ansiGreen, s)
	case v == Fail || v == Error:
		return t.paint(ansiRed, s)
	case v == Warn:
		return t.paint(ansiYellow, s)
	}
	return t.paint(ansiBlue, s)
}

// Start prints the run's header.
func (t *Terminal) Start(target string, checks []Check) {
	fmt.Fprintf(t.W, "authflow conform: %d checks against %s\n", len(checks), target)
}

// Check prints one finished check.
func (t *Terminal) Check(done, total int, r CheckResult) {
	width := len(fmt.Sprint(total))
	tag := ""
	if r.Baseline {
		tag = " (baseline)"
	}
	fmt.Fprintf(t.W, "[%*d/%d] %s %-11s %s%s %s\n", width, done, total, t.verdict(r.Verdict, r.Baseline), r.ID, r.Title, tag,
		t.paint(ansiDim, fmt.Sprintf("(%s)", fmtMs(r.Duration))))
	if r.Reason != "" && (r.Verdict != Pass || t.Verbose) {
		fmt.Fprintf(t.W, "%s        %s\n", strings.Repeat(" ", 2*width+1), excerpt(strings.ReplaceAll(r.Reason, "\n", " "), 300))
	}
}

func fmtMs(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.1fs", ms/1000)
}

// Summary prints the table of verdicts per group and the overall verdict.
func (t *Terminal) Summary(r *Report) {
	type row struct{ pass, fail, warn, skip, errs int }
	rows := map[string]*row{}
	var groups []string
	for _, c := range r.Checks {
		rw := rows[c.Group]
		if rw == nil {
			rw = &row{}
			rows[c.Group] = rw
			groups = append(groups, c.Group)
		}
		switch c.Verdict {
		case Pass:
			rw.pass++
		case Fail:
			rw.fail++
		case Warn:
			rw.warn++
		case Skip:
			rw.skip++
		case Error:
			rw.errs++
		}
	}
	slices.SortFunc(groups, func(a, b string) int { return groupIndex(a) - groupIndex(b) })
	fmt.Fprintf(t.W, "\n%-12s %5s %5s %5s %5s %5s\n", "group", "PASS", "FAIL", "WARN", "SKIP", "ERROR")
	for _, g := range groups {
		rw := rows[g]
		fmt.Fprintf(t.W, "%-12s %5d %5d %5d %5d %5d\n", g, rw.pass, rw.fail, rw.warn, rw.skip, rw.errs)
	}
	s := r.Summary
	fmt.Fprintf(t.W, "%-12s %5d %5d %5d %5d %5d\n", "total", s.Pass, s.Fail, s.Warn, s.Skip, s.Error)
	for _, n := range r.Notes {
		fmt.Fprintf(t.W, "note: %s\n", n)
	}
	colour := ansiRed
	switch s.Outcome {
	case Conformant:
		colour = ansiGreen
	case Incomplete:
		colour = ansiYellow
	}
	fmt.Fprintf(t.W, "\n%s\n%s in %.1f s\n", t.paint(ansiBold+colour, s.Headline()), s.Coverage(), r.Duration/1000)
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
