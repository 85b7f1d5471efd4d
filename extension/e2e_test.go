package extension

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
)

// The end-to-end tests run the examples with a k6 binary built with this
// extension (make sets AUTHFLOW_K6=$(PWD)/bin/k6; build it with
// `go tool xk6 build v2.2.0 --with github.com/authflow/authflow=. --output bin/k6`)
// against the reference server started in-process, and check k6's exit
// code and its exported summary. Without AUTHFLOW_K6 they are skipped.

// e2eCase is one example and what its summary must show.
type e2eCase struct {
	script string
	// minFlows is the least number of successful flows per flow name.
	minFlows map[string]float64
	// counters that must be at least the given count.
	minCounts map[string]float64
}

var e2eCases = []e2eCase{
	{script: "smoke.js", minFlows: map[string]float64{"": 19}},
	{script: "signin.js", minFlows: map[string]float64{"signin": 10, "signout": 10}},
	{script: "totp.js", minFlows: map[string]float64{"signin_totp": 12}},
	{script: "sms.js", minFlows: map[string]float64{"signin_sms": 6}},
	{script: "password.js", minFlows: map[string]float64{"password_change": 4, "password_restore": 4, "signin_reset": 4}},
	{script: "tfa_enrol.js", minFlows: map[string]float64{"2fa_enable_google": 2, "2fa_enable_sms": 2, "2fa_disable": 4}},
	{script: "qr.js", minFlows: map[string]float64{"qr_signin": 6}},
	{script: "capillary.js", minFlows: map[string]float64{"capillary_password_change": 6}},
	{script: "session_pool.js", minFlows: map[string]float64{"tfa_changes": 30, "password_changes": 30}},
	{script: "lockout_probe.js", minCounts: map[string]float64{"authflow_lockouts": 1, "authflow_otp_rejected": 1}},
}

// k6Binary is the k6 binary of the end-to-end tests (testutil.K6Binary).
func k6Binary(t *testing.T) string {
	t.Helper()
	return testutil.K6Binary(t)
}

// summary is the part of k6's --summary-export this test reads.
type summary struct {
	Metrics map[string]map[string]any `json:"metrics"`
}

func (s summary) num(metric, field string) float64 {
	v, _ := s.Metrics[metric][field].(float64)
	return v
}

// runK6 runs an example and returns its exit code, summary and output.
func runK6(t *testing.T, k6, script string, env ...string) (int, summary, string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "summary.json")
	code, output := testutil.RunK6(t, k6, 2*time.Minute, env, "run", "--quiet", "--no-usage-report", "--summary-export="+out,
		// Summary stats with a count for every metric the checks read.
		"--summary-trend-stats=avg,min,med,max,p(95),count",
		filepath.Join("..", "examples", script))
	var s summary
	if b, err := os.ReadFile(out); err == nil {
		require.NoError(t, json.Unmarshal(b, &s))
	}
	return code, s, output
}

func checkSummary(t *testing.T, c e2eCase, s summary, out string) {
	t.Helper()
	assert.Positive(t, s.num("checks", "passes"), "checks ran")
	assert.Zero(t, s.num("checks", "fails"), "failed checks\n%s", out)
	if _, ok := s.Metrics[MetricFlowFailed]; ok {
		assert.Zero(t, s.num(MetricFlowFailed, "value"), "flows failed\n%s", out)
	}
	assert.Positive(t, s.num(MetricStepDuration, "count"), "per-step metrics present")
	assert.Positive(t, s.num("http_reqs", "count"))
	// k6 exports submetrics only when a threshold names them; the flow
	// counts come from the totals and the per-flow thresholds the examples set.
	for flow, min := range c.minFlows {
		if flow == "" {
			assert.GreaterOrEqual(t, s.num(MetricFlows, "count"), min, "flows\n%s", out)
			continue
		}
		key := MetricFlows + "{flow:" + flow + ",outcome:success}"
		if _, ok := s.Metrics[key]; ok {
			assert.GreaterOrEqual(t, s.num(key, "count"), min, "%s\n%s", key, out)
		} else {
			assert.GreaterOrEqual(t, s.num(MetricFlows, "count"), min, "%s\n%s", flow, out)
		}
	}
	for m, min := range c.minCounts {
		assert.GreaterOrEqual(t, s.num(m, "count"), min, "%s\n%s", m, out)
	}
	assert.NotContains(t, out, "panic")
}

// e2eVariants are the reference server's personalities every example must
// pass against; the examples are not told which one they talk to.
var e2eVariants = []string{refserver.VariantDefault, refserver.VariantAlt}

func TestE2EExamples(t *testing.T) { runExamples(t, e2eCases) }

// runExamples runs each example with bin/k6 against each personality of a
// fresh reference server and checks its summary.
func runExamples(t *testing.T, cases []e2eCase) {
	k6 := k6Binary(t)
	for _, variant := range e2eVariants {
		for _, c := range cases {
			t.Run(variant+"/"+strings.TrimSuffix(c.script, filepath.Ext(c.script)), func(t *testing.T) {
				srv := refServer(t, refserver.Config{Variant: variant})
				code, s, out := runK6(t, k6, c.script, "AUTHFLOW_BASE_URL="+srv.URL, "AUTHFLOW_HOOKS_URL=")
				require.Equal(t, 0, code, out)
				checkSummary(t, c, s, out)
			})
		}
	}
}

func TestE2EUsersFile(t *testing.T) {
	k6 := k6Binary(t)
	for _, variant := range e2eVariants {
		for _, file := range []string{"users.json", "users.csv"} {
			for _, c := range []e2eCase{e2eCases[1], e2eCases[2], e2eCases[3], e2eCases[8]} {
				t.Run(variant+"/"+file+"/"+strings.TrimSuffix(c.script, ".js"), func(t *testing.T) {
					path := filepath.Join(t.TempDir(), file)
					srv := refServer(t, refserver.Config{Variant: variant, Users: refserver.UsersConfig{Count: 120, File: path}})
					code, s, out := runK6(t, k6, c.script, "AUTHFLOW_BASE_URL="+srv.URL, "AUTHFLOW_USERS="+path)
					require.Equal(t, 0, code, out)
					checkSummary(t, c, s, out)
				})
			}
		}
	}
}

// The smoke test passes with no server at all, as `xk6 lint` runs it.
func TestE2ESmokeOffline(t *testing.T) {
	k6 := k6Binary(t)
	code, s, out := runK6(t, k6, "smoke.js", "AUTHFLOW_BASE_URL=http://127.0.0.1:9")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "checking the extension offline only")
	assert.Zero(t, s.num("checks", "fails"))
	assert.Positive(t, s.num("checks", "passes"))
}
