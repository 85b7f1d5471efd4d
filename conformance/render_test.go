package conformance

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedReport is a report with one check of each kind of verdict.
func fixedReport() *Report {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := &Config{Target: "http://auth.example.test", Hooks: "http://auth.example.test/__hooks"}
	cfg.ApplyDefaults()
	checks := []CheckResult{
		{ID: "SHAPE-001", Title: "Sign In Wizard initialization answer has the documented fields", Group: GroupShapes, Level: MUST,
			Source: "seeds/002 Authentication: Initialize the Sign In Wizard", Verdict: Pass, Started: start, Duration: 3.5, Requests: 1},
		{ID: "LOCK-003", Title: "A blocked sign-in carries a valid Retry-After", Group: GroupLockout, Level: MUST,
			Source: "CONTRACT.md: Sign-in and lockout", Refs: []string{"RFC 6585 §4"}, Verdict: Fail, Started: start, Duration: 12.25, Requests: 2,
			Reason: "blocked sign-in: the 429 answer has no Retry-After header (POST /api/v2/my/signin → HTTP 429)",
			Evidence: []Evidence{
				{Step: "signin", Method: "POST", Path: "/api/v2/my/signin", RequestBody: `{"email":"a@b.test","password":"***"}`, Status: 401,
					ResponseHeader: map[string]string{"Content-Type": "application/json"}, ResponseBody: `{"code":401,"message":"invalid email or password","errors":{}}`},
				{Step: "signin", Method: "POST", Path: "/api/v2/my/signin", RequestHeader: map[string]string{"Authorization": "Bearer ***(43 chars)"},
					RequestBody: `{"email":"a@b.test","password":"***"}`, Status: 429, ResponseBody: `{"code":429,"message":"blocked <for> a | while"}`,
					Note: "blocked sign-in: the 429 answer has no Retry-After header"},
			}},
		{ID: "LOCK-004", Title: "Retry-After does not exceed the block", Group: GroupLockout, Level: SHOULD, Source: "CONTRACT.md: Sign-in and lockout",
			Verdict: Warn, Started: start, Duration: 8, Reason: "blocked sign-in: Retry-After is 10m0s, want more than 0 and at most the 3 s block"},
		{ID: "TOKEN-005", Title: "The refresh limit lifts after `block` seconds", Group: GroupTokens, Level: MUST, Source: "CONTRACT.md: Sign-in and lockout",
			Verdict: Fail, Baseline: true, Started: start, Duration: 4001,
			Reason: "a refresh 4s after the limit began is still limited; accepted by the baseline: gateway keeps 10 min (VENDOR-1)"},
		{ID: "TOKEN-010", Title: "An expired access token gets 401", Group: GroupTokens, Level: MUST, Source: "CONTRACT.md: Errors",
			Verdict: Skip, Started: start, Duration: 1, Reason: "waiting for the access token to expire needs a wait of 15m0s; waits.expiry allows 0s"},
		{ID: "QR-002", Title: "A channel authorized by a signed-in session signs the same client in", Group: GroupQR, Level: MUST, Source: "seeds/002",
			Verdict: Error, Started: start, Duration: 10000, Reason: "setup: POST signin/tokens: got no answer: context deadline exceeded",
			Evidence: []Evidence{{Step: "qr authorize", Method: "POST", Path: "/api/v2/my/signin/tokens", Note: "no answer: context deadline exceeded"}}},
	}
	return &Report{
		Tool: "authflow conform", Version: "v0.0.0-test",
		Target:  Target{BaseURL: cfg.Target, HooksURL: cfg.Hooks, Profiles: cfg.Profiles, Server: "refserver", Policy: &RunPolicy{SignIn: DefaultLimit(), Refresh: DefaultLimit(), Source: "config"}},
		Started: start, Duration: 14025.75, Config: cfg, Checks: checks,
		Summary: Summarize(checks, false),
		Notes:   []string{"the original policy was restored"},
	}
}

// golden compares got with testdata/<test>.golden (rewritten with -update).
func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./conformance -run %s -update to create it", t.Name())
	require.Equal(t, string(want), string(got))
}

func TestRenderJUnit(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, RenderJUnit(&b, fixedReport()))
	golden(t, b.Bytes())
}

func TestRenderMarkdown(t *testing.T) {
	r := fixedReport()
	r.Digest = "sha256:" + string(bytes.Repeat([]byte("ab"), 32))
	var b bytes.Buffer
	require.NoError(t, RenderMarkdown(&b, r))
	golden(t, b.Bytes())
}

func TestRenderJSON(t *testing.T) {
	r := fixedReport()
	b, err := MarshalReport(r)
	require.NoError(t, err)
	golden(t, b)
	d, err := VerifyDigest(b)
	require.NoError(t, err)
	require.Equal(t, r.Digest, d)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, r.Summary, back.Summary)
	require.Len(t, back.Checks, len(r.Checks))
}

func TestRenderTerminal(t *testing.T) {
	r := fixedReport()
	var b bytes.Buffer
	term := &Terminal{W: &b}
	for i, c := range r.Checks {
		term.Check(i+1, len(r.Checks), c)
	}
	term.Summary(r)
	golden(t, b.Bytes())

	b.Reset()
	term.Color = true
	term.Check(1, 1, r.Checks[1])
	require.Contains(t, b.String(), ansiRed, "FAIL in red when colour is on")
}

func TestWriteFilesSignedAndVerified(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "k.pem")
	pub, err := GenerateKey(keyPath)
	require.NoError(t, err)
	kb, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	key, err := ParsePrivateKey(kb)
	require.NoError(t, err)
	r := fixedReport()
	require.NoError(t, WriteFiles(dir, r, key))
	for _, f := range []string{FileJSON, FileJUnit, FileMarkdown, FileSig} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	js, err := os.ReadFile(filepath.Join(dir, FileJSON))
	require.NoError(t, err)
	sig, err := os.ReadFile(filepath.Join(dir, FileSig))
	require.NoError(t, err)
	_, err = VerifyDigest(js)
	require.NoError(t, err)
	require.NoError(t, VerifySignature(pub, js, sig))
	require.Equal(t, PublicKeyString(pub), r.SignerKey)
	require.Contains(t, string(js), `"signerKey": "`+PublicKeyString(pub)+`"`)
}
