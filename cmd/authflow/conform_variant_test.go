package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/conformance"
	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/refserver"
)

// The whole conformance suite passes against both personalities of the
// reference server: a check that fails the alt one has learnt one of our
// server's choices where the documents allow another. Every check gets the
// same verdict from both, so no check passes the alt personality by
// skipping it.
func TestConformBothVariants(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	verdicts := map[string]map[string]conformance.Verdict{}
	t.Run("run", func(t *testing.T) {
		for _, variant := range []string{refserver.VariantDefault, refserver.VariantAlt} {
			t.Run(variant, func(t *testing.T) {
				t.Parallel()
				rep := conformAgainst(t, refserver.Config{Variant: variant})
				mu.Lock()
				defer mu.Unlock()
				verdicts[variant] = map[string]conformance.Verdict{}
				for _, c := range rep.Checks {
					verdicts[variant][c.ID] = c.Verdict
				}
			})
		}
	})
	def, alt := verdicts[refserver.VariantDefault], verdicts[refserver.VariantAlt]
	require.NotEmpty(t, def)
	assert.Equal(t, def, alt, "verdicts per check: default vs alt")
}

// conformAgainst runs the whole suite against a reference server made
// with cfg, requires it to pass with no check failing, and returns its
// report.
func conformAgainst(t *testing.T, cfg refserver.Config) conformance.Report {
	t.Helper()
	ts := testref.Start(t, cfg)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errOut := conformRun("conform", "--target", ts.URL, "--hooks", ts.URL+"/__hooks",
		"--color", "never", "--parallel", "16", "--out", out)
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut)
	b, err := os.ReadFile(filepath.Join(out, conformance.FileJSON))
	require.NoError(t, err)
	var rep conformance.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Summary.Passed)
	assert.Zero(t, rep.Summary.Fail, "no check fails")
	for _, c := range rep.Checks {
		assert.NotEqual(t, conformance.Fail, c.Verdict, "%s: %s", c.ID, c.Reason)
		assert.NotEqual(t, conformance.Error, c.Verdict, "%s: %s", c.ID, c.Reason)
	}
	return rep
}
