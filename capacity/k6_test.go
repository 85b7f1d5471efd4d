package capacity

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A summary as measure.js writes it, trimmed to what Measure reads: the
// whole-run flow metrics include a slow warm-up the measured ones do not.
const wrapperSummary = `{
 "state": {"testRunDurationMs": 9000},
 "metrics": {
  "authflow_flow_duration{flow:signin_totp}": {"type": "trend", "contains": "time",
    "values": {"avg": 400, "min": 1, "med": 2, "max": 4000, "p(90)": 3000, "p(95)": 3500, "count": 500}},
  "authflow_flow_duration{authflow_phase:measured,flow:signin_totp}": {"type": "trend", "contains": "time",
    "values": {"avg": 2, "min": 1, "med": 2, "max": 30, "p(90)": 3, "p(95)": 4.5, "count": 396},
    "thresholds": {"p(95)>=0": {"ok": true}}},
  "authflow_flow_failed{authflow_phase:measured,flow:signin_totp}": {"type": "rate", "contains": "default",
    "values": {"rate": 0.02, "passes": 8, "fails": 388}, "thresholds": {"rate>=0": {"ok": true}}},
  "iterations{authflow_phase:measured}": {"type": "counter", "contains": "default", "values": {"count": 396, "rate": 44}},
  "dropped_iterations": {"type": "counter", "contains": "default", "values": {"count": 120, "rate": 13}}
 }
}`

func TestMeasure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		flow    string
		wantErr bool
	}{
		{name: "ok/measured-window-only", flow: "signin_totp"},
		{name: "err/flow-not-measured", flow: "signin_sms", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Measure([]byte(wrapperSummary), "fixture", tc.flow, 100, 4*time.Second)
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.flow)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 4500*time.Microsecond, m.P95, "the warm-up's 3.5 s p95 is not measured")
			assert.Equal(t, int64(396), m.Flows)
			assert.InDelta(t, 0.02, m.ErrorRate, 1e-9)
			assert.InDelta(t, 99, m.Achieved, 1e-9)
			assert.Equal(t, int64(120), m.Dropped)
		})
	}
}

// Two arrival-rate scenarios each at the asked rate: the one that fell
// behind decides how much of the rate was achieved.
func TestMeasureAchievedPerScenario(t *testing.T) {
	t.Parallel()
	const raw = `{"metrics": {
  "authflow_flow_duration{authflow_phase:measured,flow:signin}": {"type": "trend", "contains": "time", "values": {"p(95)": 3, "count": 400}},
  "iterations{authflow_phase:measured}": {"type": "counter", "contains": "default", "values": {"count": 700}},
  "iterations{authflow_phase:measured,scenario:plain}": {"type": "counter", "contains": "default", "values": {"count": 400}},
  "iterations{authflow_phase:measured,scenario:totp}": {"type": "counter", "contains": "default", "values": {"count": 300}}
 },
 "authflow_capacity": {"rate_per_s": {"plain": 100, "totp": 100}}}`
	m, err := Measure([]byte(raw), "fixture", "signin", 100, 4*time.Second)
	require.NoError(t, err)
	assert.InDelta(t, 75, m.Achieved, 1e-9, "totp started 300 of 400")
}

func TestWriteWrapper(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, err := WriteWrapper(dir, filepath.Join("..", "scenarios", "totp.js"))
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	abs, _ := filepath.Abs(filepath.Join("..", "scenarios", "totp.js"))
	assert.Contains(t, string(b), `import * as scenario from "`+filepath.ToSlash(abs)+`";`)
	assert.NotContains(t, string(b), "'SCENARIO'")
}
