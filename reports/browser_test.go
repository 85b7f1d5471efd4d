package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromiumPath finds a Chromium or Chrome binary: $AUTHFLOW_CHROMIUM, else
// the usual names on PATH.
func chromiumPath() string {
	if p := os.Getenv("AUTHFLOW_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where the browser test leaves its screenshots:
// $AUTHFLOW_ARTIFACTS, else reports/testdata/artifacts.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("AUTHFLOW_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// runChromium runs headless Chromium with the flags this closed network
// needs (no background connections, a fresh profile) and returns stdout
// and stderr.
func runChromium(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, tail(stderr.String(), 2000))
	}
	return stdout.String(), stderr.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var consoleRE = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

func bodyAttr(dom, name string) (string, bool) {
	m := regexp.MustCompile(`<body[^>]*\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// TestReportInBrowser renders reports from the fixtures, loads them in
// headless Chromium and checks that the page's script ran without errors
// and every chart drew all its marks; it leaves screenshots as artifacts.
func TestReportInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary found: install Debian's chromium (apt-get install -y chromium) or set AUTHFLOW_CHROMIUM; skipping the headless-browser test of the HTML report")
	}
	if testing.Short() {
		t.Skip("-short: skipping the headless-browser test")
	}
	artifacts := artifactsDir(t)
	for _, name := range []string{"full", "summary-only", "conformance-only"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := WriteDir(dir, fixtureModel(t, name)); err != nil {
				t.Fatal(err)
			}
			page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
			if err != nil {
				t.Fatal(err)
			}
			wantCharts := strings.Count(string(page), `<svg class="chart"`)
			url := "file://" + filepath.Join(dir, HTMLFile)

			dom, stderr := runChromium(t, bin, "--virtual-time-budget=5000", "--window-size=1280,2000", "--dump-dom", url)
			if got, _ := bodyAttr(dom, "data-rendered"); got != "ok" {
				t.Errorf("data-rendered = %q, want ok (the page's script did not finish)", got)
			}
			if got, _ := bodyAttr(dom, "data-errors"); got != "[]" {
				t.Errorf("script errors recorded by the page: %s", got)
			}
			if got, _ := bodyAttr(dom, "data-charts"); got != strconv.Itoa(wantCharts) {
				t.Errorf("data-charts = %q, want %d", got, wantCharts)
			}
			if got, _ := bodyAttr(dom, "data-charts-ok"); got != strconv.Itoa(wantCharts) {
				t.Errorf("data-charts-ok = %q, want %d: a chart is empty or has no size", got, wantCharts)
			}
			if name == "full" && wantCharts < 8 {
				t.Errorf("only %d charts in the full report", wantCharts)
			}
			if msgs := consoleRE.FindAllString(stderr, -1); len(msgs) > 0 {
				t.Errorf("console output (errors, CSP violations):\n%s", strings.Join(msgs, "\n"))
			}
			for _, bad := range []string{"net::ERR_", "Refused to"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("chromium reported %q:\n%s", bad, tail(stderr, 2000))
				}
			}
			height, _ := bodyAttr(dom, "data-height")
			h, _ := strconv.Atoi(height)

			shots := []struct {
				file string
				size string
			}{{fmt.Sprintf("report-%s.png", name), "1280,2000"}}
			if name == "full" {
				shots[0].file = "report.png"
			}
			if h > 0 {
				shots = append(shots, struct{ file, size string }{fmt.Sprintf("report-%s-fullpage.png", name), fmt.Sprintf("1280,%d", min(h+40, 16000))})
			}
			for _, s := range shots {
				path := filepath.Join(artifacts, s.file)
				os.Remove(path)
				runChromium(t, bin, "--virtual-time-budget=5000", "--screenshot="+path, "--window-size="+s.size, url)
				png, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("no screenshot: %v", err)
				}
				if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 20000 {
					t.Errorf("%s: not a plausible screenshot (%d bytes)", path, len(png))
				}
				t.Logf("screenshot: %s", path)
			}
		})
	}
}
