package conformance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// BenchmarkSuite times a whole run of the suite, with the default
// configuration (the policy shortened through the hooks, parallelism 8),
// against the in-process reference server:
//
//	go test ./conformance -run '^$' -bench Suite -benchtime 3x
func BenchmarkSuite(b *testing.B) {
	skipWithTarget(b)
	ts := startRef(b, refserver.Config{})
	cfg := &Config{Target: ts.URL, Hooks: ts.URL + "/__hooks"}
	cfg.ApplyDefaults()
	var checks int
	for b.Loop() {
		rep := runAgainst(b, cfg, Options{})
		require.True(b, rep.Summary.Passed)
		checks = len(rep.Checks)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(checks), "checks")
}
