package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const reportFixtures = "../../reports/testdata/"

func runReportCLI(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestReportHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, out, errOut := runReportCLI(t, "report", arg)
		if code != ExitOK || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		for _, want := range []string{"Usage: authflow report", "--summary FILE", "--timeseries FILE", "--conformance FILE",
			"--baseline FILE", "--tolerance", "--floor", "--fail-on-regression", "--out DIR", "handleSummary", "Exit status"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: help lacks %q", arg, want)
			}
		}
	}
	_, out, _ := runReportCLI(t, "--help")
	if !strings.Contains(out, "report") {
		t.Error("report is not listed in authflow --help")
	}
}

func TestReportWritesOutputs(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runReportCLI(t, "report",
		"--summary", reportFixtures+"candidate.json", "--timeseries", reportFixtures+"candidate.ndjson",
		"--conformance", reportFixtures+"conformance.json",
		"--baseline", reportFixtures+"baseline.json", "--baseline-timeseries", reportFixtures+"baseline.ndjson",
		"--tolerance", "10%", "--floor", "2ms", "--title", "CLI test", "--out", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "FAIL ") {
		t.Errorf("stdout should start with the verdict: %q", out)
	}
	for _, f := range []string{"index.html", "summary.md", "junit.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(data) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(out, filepath.Join(dir, f)) {
			t.Errorf("stdout does not name %s", f)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if !strings.HasPrefix(string(md), "## ❌ FAIL — CLI test") {
		t.Errorf("summary.md starts %q", strings.SplitN(string(md), "\n", 2)[0])
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	junit, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err := xml.Unmarshal(junit, &suites); err != nil || suites.Tests == 0 || suites.Failures == 0 {
		t.Errorf("junit.xml: %v %+v", err, suites)
	}
}

func TestReportFailOnRegression(t *testing.T) {
	args := []string{"report", "--summary", reportFixtures + "candidate.json", "--timeseries", reportFixtures + "candidate.ndjson",
		"--baseline", reportFixtures + "baseline.json", "--baseline-timeseries", reportFixtures + "baseline.ndjson", "--out", t.TempDir()}
	if code, _, errOut := runReportCLI(t, args...); code != ExitOK {
		t.Errorf("without --fail-on-regression: exit %d %s", code, errOut)
	}
	code, _, errOut := runReportCLI(t, append(args, "--fail-on-regression")...)
	if code != ExitFailure || !strings.Contains(errOut, "regressions vs the baseline") {
		t.Errorf("with --fail-on-regression: exit %d, stderr %q", code, errOut)
	}
	// Comparing a run with itself finds nothing.
	same := []string{"report", "--summary", reportFixtures + "baseline.json", "--baseline", reportFixtures + "baseline.json", "--fail-on-regression", "--out", t.TempDir()}
	if code, _, errOut := runReportCLI(t, same...); code != ExitOK {
		t.Errorf("run vs itself: exit %d %s", code, errOut)
	}
}

func TestReportMergesSplitRun(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runReportCLI(t, "report", "--summary", reportFixtures+"split-a.json", "--summary", reportFixtures+"split-b.json",
		"--timeseries", reportFixtures+"split-a.ndjson", "--timeseries", reportFixtures+"split-b.ndjson", "--out", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if !strings.Contains(string(md), "`split-a.json` + `split-b.json`") || !strings.Contains(string(md), "105 HTTP requests") {
		t.Errorf("merged totals missing:\n%s", md)
	}
	run, _, _ := strings.Cut(string(md), "<details>")
	if strings.Contains(run, "≈") {
		t.Errorf("with the time series no number shown should be approximate:\n%s", run)
	}
}

func TestReportUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"metrics": {"x": {"type": "histogram", "values": {}}}}`), 0o644)
	out := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--summary", reportFixtures + "baseline.json"}, "--out DIR is required"},
		{"nothing", []string{"--out", out}, "nothing to report"},
		{"unknown flag", []string{"--summry", "x", "--out", out}, "flag provided but not defined: -summry"},
		{"stray argument", []string{"--out", out, reportFixtures + "baseline.json"}, "unexpected argument"},
		{"missing file", []string{"--summary", "/nonexistent/s.json", "--out", out}, "no such file"},
		{"malformed summary", []string{"--summary", bad, "--out", out}, `unknown type "histogram"`},
		{"timeseries as summary", []string{"--summary", reportFixtures + "baseline.ndjson", "--out", out}, "pass it with --timeseries"},
		{"summary as timeseries", []string{"--summary", reportFixtures + "baseline.json", "--timeseries", reportFixtures + "baseline.json", "--out", out}, "baseline.json:1"},
		{"summary as conformance", []string{"--conformance", reportFixtures + "baseline.json", "--out", out}, "pass it with --summary"},
		{"bad tolerance", []string{"--summary", reportFixtures + "baseline.json", "--tolerance", "lots", "--out", out}, "want a percentage"},
		{"bad floor", []string{"--summary", reportFixtures + "baseline.json", "--floor", "soon", "--out", out}, "want a duration"},
		{"timeseries alone", []string{"--timeseries", reportFixtures + "baseline.ndjson", "--conformance", reportFixtures + "conformance.json", "--out", out}, "needs the run's --summary"},
		{"baseline alone", []string{"--baseline", reportFixtures + "baseline.json", "--conformance", reportFixtures + "conformance.json", "--out", out}, "needs a --summary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runReportCLI(t, slices.Concat([]string{"report"}, c.args)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, c.want) || !strings.HasPrefix(errOut, "authflow report: ") {
				t.Errorf("stderr %q, want it to contain %q", errOut, c.want)
			}
		})
	}
}
