package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/conformance"
)

// TestConformSignAndVerify signs a real run's report and checks that
// verify accepts it and rejects any edit (exit 1).
func TestConformSignAndVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "signing.pem")
	code, out, errOut := conformRun("conform", "--gen-key", key)
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "public key")
	code, _, errOut = conformRun("conform", "--gen-key", key)
	assert.Equal(t, ExitUsage, code, "an existing key is not overwritten")
	assert.Contains(t, errOut, "exists")

	res := filepath.Join(dir, "res")
	args := slices.Concat([]string{"conform"}, conformTarget(t))
	code, out, errOut = conformRun(append(args, "--checks", "SHAPE-001,SIGNIN-001", "--out", res, "--sign-key", key)...)
	require.Equal(t, ExitOK, code, out+errOut)
	report := filepath.Join(res, conformance.FileJSON)
	require.FileExists(t, report+".sig")

	code, out, errOut = conformRun("verify", "--report", report, "--pub", key+".pub")
	require.Equal(t, ExitOK, code, out+errOut)
	assert.Contains(t, out, "digest OK")
	assert.Contains(t, out, "signature OK")
	assert.Contains(t, out, "summary OK")
	assert.Contains(t, out, "2 PASS: CONFORMANT")

	code, out, _ = conformRun("verify", "--report", report)
	assert.Equal(t, ExitOK, code, "the digest alone")
	assert.Contains(t, out, "signature: not checked")

	orig, err := os.ReadFile(report)
	require.NoError(t, err)
	other := filepath.Join(dir, "other.pem")
	code, _, _ = conformRun("conform", "--gen-key", other)
	require.Equal(t, ExitOK, code)

	cases := []struct {
		name   string
		edit   func(b []byte) []byte
		args   []string
		errOut string
	}{
		{"one byte of a verdict", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"verdict": "PASS"`), []byte(`"verdict": "PAS5"`), 1)
		}, []string{"--pub", key + ".pub"}, "digest mismatch"},
		{"one byte in the middle", func(b []byte) []byte {
			c := bytes.Clone(b)
			c[len(c)/2] ^= 0x01
			return c
		}, nil, ""},
		{"the digest itself", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`"digest": "sha256:`)) + len(`"digest": "sha256:`)
			c := bytes.Clone(b)
			if c[i] == 'a' {
				c[i] = 'b'
			} else {
				c[i] = 'a'
			}
			return c
		}, nil, "digest"},
		{"digest recomputed, signature stale", func(b []byte) []byte {
			// An editor who recomputes the digest still breaks the signature.
			return conformRedigest(t, conformZeroDigest(bytes.Replace(b, []byte(`"title": "`), []byte(`"title": "x`), 1)))
		}, []string{"--pub", key + ".pub"}, "signature"},
		{"a verdict edited, digest recomputed, no --pub", func(b []byte) []byte {
			// The summary still says CONFORMANT: verify recomputes it.
			return conformRedigest(t, conformZeroDigest(bytes.Replace(b, []byte(`"verdict": "PASS"`), []byte(`"verdict": "FAIL"`), 1)))
		}, nil, "the summary does not match the verdicts: outcome is CONFORMANT, the verdicts give NON-CONFORMANT"},
		{"the summary edited, digest recomputed, no --pub", func(b []byte) []byte {
			return conformRedigest(t, conformZeroDigest(bytes.Replace(b, []byte(`"pass": 2`), []byte(`"pass": 99`), 1)))
		}, nil, "pass is 99, the verdicts give 2"},
		{"another signer's key", func(b []byte) []byte { return b }, []string{"--pub", other + ".pub"}, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "edited-"+c.name+".json")
			require.NoError(t, os.WriteFile(p, c.edit(orig), 0o644))
			sig, err := os.ReadFile(report + ".sig")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p+".sig", sig, 0o644))
			code, out, errOut := conformRun(slices.Concat([]string{"verify", "--report", p}, c.args)...)
			assert.Equal(t, ExitFailure, code, out+errOut)
			if c.errOut != "" {
				assert.Contains(t, errOut, c.errOut)
			}
		})
	}

	usage := []struct {
		name string
		args []string
	}{
		{"no report", nil},
		{"missing report", []string{"--report", filepath.Join(dir, "nope.json")}},
		{"sig without pub", []string{"--report", report, "--sig", report + ".sig"}},
		{"unreadable key", []string{"--report", report, "--pub", report}},
	}
	for _, u := range usage {
		t.Run(u.name, func(t *testing.T) {
			code, _, _ := conformRun(slices.Concat([]string{"verify"}, u.args)...)
			assert.Equal(t, ExitUsage, code)
		})
	}
}

// conformZeroDigest replaces the digest's hex digits by zeros.
func conformZeroDigest(b []byte) []byte {
	old := bytes.SplitN(bytes.SplitN(b, []byte(`"digest": "`), 2)[1], []byte(`"`), 2)[0]
	return bytes.Replace(b, old, []byte("sha256:"+string(bytes.Repeat([]byte("0"), 64))), 1)
}

// conformRedigest recomputes the digest of a report whose digest digits are
// zeros, as an editor covering their tracks would.
func conformRedigest(t *testing.T, zeroed []byte) []byte {
	t.Helper()
	var rep conformance.Report
	require.NoError(t, jsonUnmarshal(zeroed, &rep))
	b, err := conformance.MarshalReport(&rep)
	require.NoError(t, err)
	_, err = conformance.VerifyDigest(b)
	require.NoError(t, err)
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
