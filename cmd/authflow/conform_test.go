package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/conformance"
	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/refserver"
)

// conformTarget starts an in-process reference server with the given
// defects and returns the flags that point the suite at it.
func conformTarget(t *testing.T, defects ...string) []string {
	t.Helper()
	ts := testref.Start(t, refserver.Config{Defects: defects})
	return []string{"--target", ts.URL, "--hooks", ts.URL + "/__hooks", "--color", "never", "--parallel", "16"}
}

// conformRun runs `authflow <args>` and returns the exit code and output.
func conformRun(args ...string) (ExitCode, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConformExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		defects []string
		args    []string
		want    ExitCode
		out     []string // substrings of stdout
		errOut  string   // substring of stderr
	}{
		{"conforming target", nil, []string{"--checks", "SIGNIN-00,TOKEN-002,LOCK-001"}, ExitOK, []string{"PASS  SIGNIN-001", "PASS  LOCK-001", ": CONFORMANT"}, ""},
		{"defect caught", []string{refserver.DefectTOTPReplay}, []string{"--checks", "TFA-003,TFA-001"}, ExitFailure, []string{"FAIL  TFA-003", "PASS  TFA-001", "1 PASS, 1 FAIL: NON-CONFORMANT"}, "not conformant"},
		{"lockout defect caught", []string{refserver.DefectNoLockout}, []string{"--groups", "lockout", "--exclude", "LOCK-005"}, ExitFailure, []string{"FAIL  LOCK-001"}, ""},
		{"SHOULD warning passes", []string{refserver.DefectTOTPWideWindow}, []string{"--checks", "TFA-006"}, ExitOK, []string{"WARN  TFA-006"}, ""},
		{"nothing verified is incomplete", nil, []string{"--checks", "SIGNIN-010"}, ExitIncomplete, []string{"SKIP  SIGNIN-010", "1 SKIPPED (waits not allowed): INCOMPLETE"}, "could not be fully tested"},
		{"waits not allowed still conformant", nil, []string{"--checks", "SIGNIN-001,SIGNIN-010"}, ExitOK, []string{"1 PASS, 1 SKIPPED (waits not allowed): CONFORMANT", "1 of 2 checks verified"}, ""},
		{"fail on skip", nil, []string{"--checks", "SIGNIN-001,TFA-010", "--fail-on-skip"}, ExitFailure, []string{"SKIP  TFA-010"}, ""},
		{"unknown check", nil, []string{"--checks", "NOPE-1"}, ExitUsage, nil, "matches no check"},
		{"unknown group", nil, []string{"--groups", "nope"}, ExitUsage, nil, "unknown group"},
		{"bad profile", nil, []string{"--profile", "soap"}, ExitUsage, nil, "unknown profile"},
		{"bad duration", nil, []string{"--max-block-wait", "soon"}, ExitUsage, nil, "invalid duration"},
		{"unknown flag", nil, []string{"--frobnicate"}, ExitUsage, nil, "not defined"},
		{"sign key without out", nil, []string{"--sign-key", "k.pem"}, ExitUsage, nil, "needs --out"},
		{"bad color", nil, []string{"--color", "pink"}, ExitUsage, nil, "--color"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Concat([]string{"conform"}, conformTarget(t, c.defects...))
			code, out, errOut := conformRun(append(args, c.args...)...)
			assert.Equal(t, c.want, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			for _, s := range c.out {
				assert.Contains(t, out, s)
			}
			if c.errOut != "" {
				assert.Contains(t, errOut, c.errOut)
			}
		})
	}
}

func TestConformConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	cases := []struct {
		name   string
		args   []string
		errOut string
	}{
		{"no target", []string{}, "--config FILE or --target URL"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"unknown key", []string{"--config", write("u.yaml", "target: http://127.0.0.1:1\nparallelizm: 3\n")}, "parallelizm"},
		{"bad YAML", []string{"--config", write("b.yaml", "target: [\n")}, "configuration"},
		{"bad baseline", []string{"--config", write("c.yaml", "target: http://127.0.0.1:1\nbaseline: bl.yaml\n")}, "baseline"},
		{"baseline with unknown check", []string{"--target", "http://127.0.0.1:1", "--baseline", write("bl2.yaml", "expectedFailures:\n  - {id: X-1, reason: r}\n")}, "unknown check ID"},
		{"extra argument", []string{"--target", "http://127.0.0.1:1", "extra"}, "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := conformRun(slices.Concat([]string{"conform"}, c.args)...)
			assert.Equal(t, ExitUsage, code, errOut)
			assert.Contains(t, errOut, c.errOut)
		})
	}
}

func TestConformUnreachableTarget(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(nil)
	url := ts.URL
	ts.Close()
	code, _, errOut := conformRun("conform", "--target", url)
	assert.Equal(t, ExitIncomplete, code)
	assert.Contains(t, errOut, "unreachable")
}

// TestConformHooksMissing: a target whose hooks answer 404 verifies the few
// checks that need no account, and the headline says so (exit 3, not 0).
func TestConformHooksMissing(t *testing.T) {
	t.Parallel()
	flags := conformTarget(t)
	flags[3] = flags[1] + "/no-hooks-here"
	dir := t.TempDir()
	code, out, errOut := conformRun(append(append([]string{"conform"}, flags...), "--out", dir)...)
	require.Equal(t, ExitIncomplete, code, out+errOut)
	assert.Regexp(t, `\d+ PASS, \d+ SKIPPED \((\d+ )?hooks unavailable.*\): INCOMPLETE`, out)
	assert.NotContains(t, out, "CONFORMANT")
	md, err := os.ReadFile(filepath.Join(dir, conformance.FileMarkdown))
	require.NoError(t, err)
	assert.Contains(t, string(md), "INCOMPLETE")
	assert.Regexp(t, `\d+ of \d+ checks verified`, string(md))
	junit, err := os.ReadFile(filepath.Join(dir, conformance.FileJUnit))
	require.NoError(t, err)
	assert.Contains(t, string(junit), `name="outcome" value="INCOMPLETE"`)
	assert.Contains(t, string(junit), `name="coverage"`)
	code, vout, verr := conformRun("verify", "--report", filepath.Join(dir, conformance.FileJSON))
	assert.Equal(t, ExitOK, code, vout+verr)
	assert.Contains(t, vout, "INCOMPLETE")
}

func TestConformListAndHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := conformRun("conform", "--list")
	assert.Equal(t, ExitOK, code)
	for _, c := range conformance.Catalogue() {
		assert.Contains(t, out, c.ID)
	}
	code, _, errOut := conformRun("conform", "--help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, errOut, "Exit status")
	code, _, errOut = conformRun("verify", "--help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, errOut, "--report")
}

// TestConformFullRunWithBaselineAndFiles runs every check through the CLI
// with a configuration file, a baseline that accepts the defect's failure,
// and the output files.
func TestConformFullRunWithBaselineAndFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flags := conformTarget(t, refserver.DefectRefreshNoRotate)
	target, hooks := flags[1], flags[3]
	bl := filepath.Join(dir, "baseline.yaml")
	require.NoError(t, os.WriteFile(bl, []byte("expectedFailures:\n  - id: TOKEN-002\n    reason: known, fixed in the next release (TICKET-1)\n  - id: RACE-002\n    reason: the same defect, seen by a burst (TICKET-1)\n"), 0o644))
	cfg := filepath.Join(dir, "conformance.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("target: "+target+"\nhooks: "+hooks+"\nbaseline: baseline.yaml\nparallelism: 16\n"), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, errOut := conformRun("conform", "--config", cfg, "--out", out, "--color", "never")
	require.Equal(t, ExitOK, code, "the baseline accepts TOKEN-002:\n%s\n%s", stdout, errOut)
	assert.Contains(t, stdout, "FAIL  TOKEN-002")
	assert.Contains(t, stdout, "(baseline)")
	for _, f := range []string{conformance.FileJSON, conformance.FileJUnit, conformance.FileMarkdown} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	b, err := os.ReadFile(filepath.Join(out, conformance.FileJSON))
	require.NoError(t, err)
	var rep conformance.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Summary.Passed)
	assert.Equal(t, 2, rep.Summary.Fail)
	assert.Len(t, rep.Checks, len(conformance.Catalogue()))
	for _, c := range rep.Checks {
		if c.ID == "TOKEN-002" {
			assert.True(t, c.Baseline)
			assert.NotEmpty(t, c.Evidence)
			for _, e := range c.Evidence {
				assert.NotContains(t, e.ResponseBody, `"token":"ey`, "tokens are masked")
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, conformance.FileMarkdown))
	require.NoError(t, err)
	assert.Contains(t, string(md), "FAIL (baseline)")

	// The same run without the baseline fails.
	code, _, _ = conformRun("conform", "--target", target, "--hooks", hooks, "--checks", "TOKEN-002", "--color", "never")
	assert.Equal(t, ExitFailure, code)
}

func TestConformInterrupted(t *testing.T) {
	t.Parallel()
	flags := conformTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	err := runConform(ctx, append(flags, "--checks", "SIGNIN-001"), &out, &errb)
	var ee *exitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, ExitIncomplete, ee.code)
	assert.Contains(t, err.Error(), "interrupted")
}
