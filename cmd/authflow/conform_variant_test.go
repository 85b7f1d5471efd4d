package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/conformance"
	"github.com/authflow/authflow/refserver"
)

// The whole conformance suite passes against both personalities of the
// reference server: a check that fails the alt one has learnt one of our
// server's choices where the documents allow another.
func TestConformBothVariants(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{refserver.VariantDefault, refserver.VariantAlt} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			srv, err := refserver.New(refserver.Config{Variant: variant})
			require.NoError(t, err)
			ts := httptest.NewServer(srv)
			t.Cleanup(func() {
				ts.Close()
				srv.Close()
			})
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
		})
	}
}
