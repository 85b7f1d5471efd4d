package capacity

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The --out JSON: lower-case documented names, milliseconds, rates per
// second and fractions; no Go field name and no nanoseconds.
func TestReportJSON(t *testing.T) {
	t.Parallel()
	s := Search{Start: 100, Max: 1000, Factor: 2, Precision: 0.1, MaxRuns: 5,
		SLA: SLA{P95: 50 * time.Millisecond, ErrorRate: 0.01}}
	res := Result{Capacity: 200, Limit: 400, LimitedBy: LimitLatency, Runs: []Run{
		{Measurement: Measurement{Rate: 200, Achieved: 200.04, P95: 3300 * time.Microsecond, Flows: 800, VUs: 20, ClientCPU: 0.213}, OK: true},
		{Measurement: Measurement{Rate: 400, Achieved: 380, P95: 198100 * time.Microsecond, ErrorRate: 0.0025, Flows: 1520, Dropped: 80, VUs: 40, ClientCPU: 0.46},
			LimitedBy: LimitLatency, Reason: "p95 198.1ms > 50ms"},
	}}
	b, err := json.MarshalIndent(NewReport(s, res, "signin_totp", "scenarios/totp.js", 5*time.Second, 20*time.Second), "", " ")
	require.NoError(t, err)
	const want = `{
 "flow": "signin_totp",
 "script": "scenarios/totp.js",
 "sla": {
  "p95_ms": 50,
  "failure_rate": 0.01,
  "min_achieved": 0.95
 },
 "warmup_s": 5,
 "duration_s": 20,
 "capacity_per_s": 200,
 "limit_per_s": 400,
 "limited_by": "latency",
 "verdict": "200 signin_totp/s within the SLA (broken at 400/s by latency), 2 runs",
 "closed_loop_per_s": 0,
 "closed_loop_vus": 0,
 "runs": [
  {
   "rate_per_s": 200,
   "achieved_per_s": 200.04,
   "p95_ms": 3.3,
   "failure_rate": 0,
   "flows": 800,
   "dropped_iterations": 0,
   "vus": 20,
   "client_cpu_cores": 0.21,
   "ok": true,
   "limited_by": "",
   "reason": "",
   "retry": false
  },
  {
   "rate_per_s": 400,
   "achieved_per_s": 380,
   "p95_ms": 198.1,
   "failure_rate": 0.0025,
   "flows": 1520,
   "dropped_iterations": 80,
   "vus": 40,
   "client_cpu_cores": 0.46,
   "ok": false,
   "limited_by": "latency",
   "reason": "p95 198.1ms > 50ms",
   "retry": false
  }
 ]
}`
	assert.JSONEq(t, want, string(b))
	assert.NotRegexp(t, `"[A-Z]`, string(b), "no Go field names")
}
