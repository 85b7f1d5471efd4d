package conformance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

func TestTimingStats(t *testing.T) {
	t.Parallel()
	d := func(ms ...float64) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m * float64(time.Millisecond))
		}
		return out
	}
	assert.Equal(t, 2*time.Millisecond, median(d(3, 1, 2)))
	assert.Equal(t, 2500*time.Microsecond, median(d(4, 1, 2, 3)))
	assert.Equal(t, time.Duration(0), median(nil))
	// The spread within groups ignores the gap between them.
	assert.Equal(t, time.Millisecond, residualMAD(d(1, 2, 3), d(51, 52, 53)))
	lo, hi := bootstrapMedian(d(51, 52, 53, 50, 54, 49, 52), 1000, 0.025)
	assert.GreaterOrEqual(t, lo, 49*time.Millisecond)
	assert.LessOrEqual(t, hi, 54*time.Millisecond)
	lo, hi = bootstrapMedian(d(-2, -1, 0, 1, 2, -1, 1), 1000, 0.025)
	assert.LessOrEqual(t, lo, time.Duration(0))
	assert.GreaterOrEqual(t, hi, time.Duration(0))
	assert.InDelta(t, 0.5, signTestP(1, 1), 1e-12)
	assert.InDelta(t, 1.0, signTestP(0, 31), 1e-12)
	assert.InDelta(t, 1.0/(1<<31), signTestP(31, 31), 1e-15)
	assert.Less(t, signTestP(25, 31), 0.001)
	assert.Greater(t, signTestP(24, 31), 0.001)
}

// TestTimingCheck: TIME-001 passes on the correct server (whose unknown
// emails cost a dummy hash) and WARNs on enumeration-timing, with both
// distributions in its reason.
func TestTimingCheck(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	for _, defect := range []string{"", refserver.DefectEnumerationTiming} {
		t.Run("defect="+defect, func(t *testing.T) {
			t.Parallel()
			rc := refserver.Config{}
			want := Pass
			if defect != "" {
				rc.Defects, want = []string{defect}, Warn
			}
			ts := startRef(t, rc)
			cfg := refConfig(ts.URL)
			cfg.Checks = []string{"TIME-001"}
			rep := runAgainst(t, cfg, Options{})
			require.Len(t, rep.Checks, 1)
			c := rep.Checks[0]
			assert.Equal(t, want, c.Verdict, c.Reason)
			assert.Contains(t, c.Reason, "existing email: median")
			assert.Contains(t, c.Reason, "unknown email: median")
			assert.Equal(t, Conformant, rep.Summary.Outcome, "a SHOULD never decides the outcome")
		})
	}
}
