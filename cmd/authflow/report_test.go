package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
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
		{"bad alpha", []string{"--summary", reportFixtures + "baseline.json", "--alpha", "5", "--out", out}, "--alpha 5: want a p-value"},
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

// measurementK6 is k6ForTest for a test that measures: its figures mean
// something only when nothing else runs on the machine, so it runs in make
// test's serial measure phase (AUTHFLOW_MEASURE=1, one package at a time,
// after the unit tests) and skips in the unit phase.
func measurementK6(t *testing.T) string {
	t.Helper()
	if os.Getenv("AUTHFLOW_MEASURE") == "" {
		t.Skip("a measurement: make test runs it alone in its measure phase (AUTHFLOW_MEASURE=1)")
	}
	return k6ForTest(t)
}

// k6ForTest returns bin/k6 from AUTHFLOW_K6, or skips (make test sets it).
func k6ForTest(t *testing.T) string {
	t.Helper()
	k6 := os.Getenv("AUTHFLOW_K6")
	if k6 == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUTHFLOW_K6 is not set in CI: make test builds bin/k6 and sets it")
		}
		t.Skip("AUTHFLOW_K6 is not set (make test sets it to bin/k6)")
	}
	return k6
}

// slowableServer is a reference server whose API calls sleep for delay.
func slowableServer(t *testing.T, delay *atomic.Int64) string {
	t.Helper()
	srv, err := refserver.New(refserver.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(delay.Load()); d > 0 && (strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/auth/")) {
			time.Sleep(d)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// runSMS runs scenarios/sms.js for 7 s at 10/s and returns its summary and
// time series. It may run in a goroutine of its own: it reports a failure
// with t.Errorf, never t.FailNow.
func runSMS(t *testing.T, k6, base, name string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	sum, series := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".ndjson")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6, "run", "--quiet", "--no-usage-report", "--out", "json="+series, "../../scenarios/sms.js")
	cmd.Env = append(os.Environ(), "AUTHFLOW_BASE_URL="+base, "AUTHFLOW_USERS=", "AUTHFLOW_RATE=10", "AUTHFLOW_DURATION=7s",
		"AUTHFLOW_MAX_VUS=20", "AUTHFLOW_OUT="+dir, "AUTHFLOW_SUMMARY="+sum, "K6_NO_USAGE_REPORT=true")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 99 {
		err = nil // a crossed threshold is still a run to compare
	}
	assert.NoError(t, err, "%s", out)
	return sum, series
}

// Two runs of one scenario against one server differ by noise only: no
// regression. A server slowed by 5 ms a call is a regression. The runs
// compared are made side by side, two k6 processes at once, so that both
// see the same machine: on a shared machine, runs made one after the other
// can meet different loads, which the comparison rightly reports.
func TestReportComparesRunsEndToEnd(t *testing.T) {
	k6 := measurementK6(t)
	var none, slow atomic.Int64
	base, slowed := slowableServer(t, &none), slowableServer(t, &slow)
	slow.Store(int64(5 * time.Millisecond))
	sideBySide := func(baseA, nameA, baseB, nameB string) (sumA, tsA, sumB, tsB string) {
		var wg sync.WaitGroup
		wg.Go(func() { sumA, tsA = runSMS(t, k6, baseA, nameA) })
		wg.Go(func() { sumB, tsB = runSMS(t, k6, baseB, nameB) })
		wg.Wait()
		return
	}
	aSum, aTS, bSum, bTS := sideBySide(base, "first", base, "second")
	a2Sum, a2TS, cSum, cTS := sideBySide(base, "third", slowed, "slowed")

	compare := func(baseSum, baseTS, sum, ts string) (ExitCode, string) {
		dir := t.TempDir()
		code, out, errOut := runReportCLI(t, "report", "--summary", sum, "--timeseries", ts, "--baseline", baseSum,
			"--baseline-timeseries", baseTS, "--tolerance", "10%", "--fail-on-regression", "--out", dir)
		md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
		_, cmp, _ := strings.Cut(string(md), "### Comparison")
		t.Logf("%s", cmp)
		return code, out + errOut + cmp
	}
	code, out := compare(aSum, aTS, bSum, bTS)
	assert.Equal(t, ExitOK, code, out)
	assert.Regexp(t, `comparison with the baseline: (no significant change|0 regressions)`, out)
	code, out = compare(a2Sum, a2TS, cSum, cTS)
	assert.Equal(t, ExitFailure, code, out)
	assert.Regexp(t, `regressions? vs the baseline`, out)
	assert.Contains(t, out, "samples compared")
}
