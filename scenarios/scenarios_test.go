// Package scenarios holds the k6 scenario scripts; this test runs each of
// them with bin/k6 against the reference server, short, and proves that its
// thresholds are a real gate: green against the correct server in both of
// its personalities (default and alt, which take different legal answers;
// the scenarios are not told which one they talk to), k6's exit code 99
// against a slowed or defective one, or when a flow never ran.
package scenarios

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
)

// exitThresholds is k6's exit code when a threshold fails.
const exitThresholds = 99

type scenario struct {
	script string
	env    []string
	// flows must each have succeeded at least once.
	flows []string
	// defect, if set, is the deliberate defect the red run uses instead of
	// slowing the server down (for a scenario that gates on correctness).
	defect string
}

var scenarios = []scenario{
	{script: "smoke.js", defect: "signout-no-revoke"},
	{script: "signin_load.js", flows: []string{"signin", "signin_totp"}},
	{script: "totp.js", flows: []string{"signin_totp"}},
	{script: "sms.js", flows: []string{"signin_sms"}},
	{script: "refresh_storm.js", flows: []string{"refresh"}},
	{script: "password_change.js", flows: []string{"password_change"}, env: []string{"AUTHFLOW_VUS=2"}},
	{script: "password_restore.js", flows: []string{"password_restore"}, env: []string{"AUTHFLOW_VUS=2"}},
	{script: "tfa_enrolment.js", flows: []string{"2fa_enable_google", "2fa_enable_sms", "2fa_disable"}, env: []string{"AUTHFLOW_VUS=2"}},
	{script: "qr.js", flows: []string{"qr_signin"}},
	{script: "lockout_probe.js", flows: []string{"signin"}},
	{script: "spike.js", flows: []string{"signin"}, env: []string{"AUTHFLOW_SPIKE=3"}},
	{script: "soak.js", flows: []string{"signin", "refresh", "signout"}},
	{script: "mix.js", flows: []string{"signin"}},
	{script: "capillary.js", flows: []string{"capillary_password_change"}, env: []string{"AUTHFLOW_VUS=2"}},
}

// variants are the reference server's personalities every scenario must
// pass against.
var variants = []string{refserver.VariantDefault, refserver.VariantAlt}

// target starts a default reference server with a user file and returns
// its URL and the file. delay slows every API call down; defect switches
// one on.
func target(t *testing.T, delay time.Duration, defect string) (string, string) {
	t.Helper()
	return targetWith(t, delay, defect, refserver.Config{})
}

// targetWith is target with a base configuration (its variant, its users' mix).
func targetWith(t *testing.T, delay time.Duration, defect string, cfg refserver.Config) (string, string) {
	t.Helper()
	users := filepath.Join(t.TempDir(), "users.json")
	cfg.Users.Count, cfg.Users.File = 600, users
	if defect != "" {
		cfg.Defects = []string{defect}
	}
	slow := func(h http.Handler) http.Handler {
		if delay <= 0 {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/auth/") {
				time.Sleep(delay)
			}
			h.ServeHTTP(w, r)
		})
	}
	return testref.Start(t, cfg, slow).URL, users
}

type summary struct {
	Metrics map[string]struct {
		Values     map[string]float64           `json:"values"`
		Thresholds map[string]struct{ OK bool } `json:"thresholds"`
	} `json:"metrics"`
}

// run runs a scenario and returns k6's exit code, the summary its
// handleSummary wrote, and k6's output.
func run(t *testing.T, sc scenario, base, users string) (int, summary, string) {
	t.Helper()
	dir := t.TempDir()
	sumFile := filepath.Join(dir, "summary.json")
	env := slices.Concat([]string{"AUTHFLOW_BASE_URL=" + base, "AUTHFLOW_USERS=" + users, "AUTHFLOW_OUT=" + dir, "AUTHFLOW_SUMMARY=" + sumFile,
		"AUTHFLOW_RATE=4", "AUTHFLOW_DURATION=5s", "AUTHFLOW_MAX_VUS=20"}, sc.env)
	code, out := testutil.RunK6(t, testutil.K6Binary(t), 3*time.Minute, env, "run", "--quiet", "--no-usage-report", sc.script)
	lastSummaries.Store(t.Name(), sumFile)
	var s summary
	b, err := os.ReadFile(sumFile)
	require.NoError(t, err, "the scenario's handleSummary wrote no summary\n%s", out)
	require.NoError(t, json.Unmarshal(b, &s))
	return code, s, out
}

// lastSummaries remembers, per test, the summary file its last run wrote.
var lastSummaries sync.Map

func lastSummary(t *testing.T) string {
	t.Helper()
	v, ok := lastSummaries.Load(t.Name())
	require.True(t, ok, "no run in this test")
	return v.(string)
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	testutil.K6Binary(t)
	for _, sc := range scenarios {
		for _, variant := range variants {
			t.Run("ok/"+variant+"/"+sc.script, func(t *testing.T) {
				t.Parallel()
				base, users := targetWith(t, 0, "", refserver.Config{Variant: variant})
				code, s, out := run(t, sc, base, users)
				require.Equal(t, 0, code, "k6 exit code\n%s", out)
				checkGreen(t, sc, s, out)
			})
		}
		t.Run("err/"+sc.script, func(t *testing.T) {
			t.Parallel()
			delay, why := 400*time.Millisecond, "slowed by 400ms a call"
			if sc.defect != "" {
				delay, why = 0, "with defect "+sc.defect
			}
			base, users := target(t, delay, sc.defect)
			code, s, out := run(t, sc, base, users)
			require.Equal(t, exitThresholds, code, "a server %s must fail the thresholds\n%s", why, out)
			failed := 0
			for _, m := range s.Metrics {
				for _, th := range m.Thresholds {
					if !th.OK {
						failed++
					}
				}
			}
			assert.Positive(t, failed, "the summary names the failed thresholds")
		})
	}
}

// checkGreen checks the summary of a passing run: every threshold held,
// every flow ran and the text summary counts it, nothing panicked, and the
// scenario gates on iterations that threw.
func checkGreen(t *testing.T, sc scenario, s summary, out string) {
	t.Helper()
	for name, m := range s.Metrics {
		for src, th := range m.Thresholds {
			assert.True(t, th.OK, "%s: %s", name, src)
		}
	}
	for _, flow := range sc.flows {
		m, ok := s.Metrics["authflow_flows{flow:"+flow+"}"]
		if assert.True(t, ok, "flow %s has a count threshold\n%s", flow, out) {
			assert.Positive(t, m.Values["count"], "flow %s ran\n%s", flow, out)
		}
		_, ok = s.Metrics["authflow_flow_duration{flow:"+flow+"}"]
		assert.True(t, ok, "flow %s has a duration threshold", flow)
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(flow) + `\s+[1-9][0-9]*\s`)
		assert.Regexp(t, line, out, "the text summary counts flow %s", flow)
	}
	assert.NotContains(t, out, "panic")
	m, ok := s.Metrics["authflow_iteration_errors"]
	if assert.True(t, ok, "%s does not count iterations that threw", sc.script) {
		assert.Contains(t, m.Thresholds, "count==0", "%s does not gate on iterations that threw", sc.script)
	}
}

// mix.js tells each user picker its own flows' share of the rate: with the
// users its setup makes through the hooks for those shares, no picker warns
// that its users cannot sustain the rate (told the whole rate, the TOTP
// picker did).
func TestMixPickersShareTheRate(t *testing.T) {
	t.Parallel()
	testutil.K6Binary(t)
	base, _ := target(t, 0, "")
	code, _, out := run(t, scenario{script: "mix.js"}, base, "")
	require.Equal(t, 0, code, "k6 exit code\n%s", out)
	assert.NotContains(t, out, "cannot sustain")
}

// A gate never passes vacuously: signin_load.js fed a user file without a
// single user for one of its flows (no user without 2FA) exits 99, though
// its other flow is green, and names the flow that never ran.
func TestScenarioFlowThatNeverRanFails(t *testing.T) {
	t.Parallel()
	testutil.K6Binary(t)
	base, users := targetWith(t, 0, "", refserver.Config{Users: refserver.UsersConfig{Mix: refserver.Mix{Google: 1}}})
	code, s, out := run(t, scenario{script: "signin_load.js"}, base, users)
	require.Equal(t, exitThresholds, code, "a flow without users must fail the gate\n%s", out)
	failed := map[string]bool{}
	for name, m := range s.Metrics {
		for src, th := range m.Thresholds {
			if !th.OK {
				failed[name+": "+src] = true
			}
		}
	}
	assert.True(t, failed["authflow_flows{flow:signin}: count>0"], "failed: %v", failed)
	assert.True(t, failed["authflow_iteration_errors: count==0"], "failed: %v", failed)
	assert.False(t, failed["authflow_flows{flow:signin_totp}: count>0"], "the TOTP flow ran")
}

// The summary a scenario writes for reports holds no account secret, though
// its setup() returned accounts with passwords.
func TestSummaryHasNoSecrets(t *testing.T) {
	t.Parallel()
	base, users := target(t, 0, "")
	sc := scenario{script: "password_restore.js", env: []string{"AUTHFLOW_VUS=1"}}
	code, _, out := run(t, sc, base, users)
	require.Equal(t, 0, code, out)
	raw, err := os.ReadFile(lastSummary(t))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "setup_data")
	assert.NotContains(t, string(raw), `"password"`)
}

// k6's --out json time series carries the extension's metrics with their
// tags (what `authflow report` charts over time), and no secret.
func TestTimeSeriesOutput(t *testing.T) {
	t.Parallel()
	base, users := target(t, 0, "")
	ts := filepath.Join(t.TempDir(), "run.ndjson")
	sc := scenario{script: "totp.js", env: []string{"K6_OUT=json=" + ts}}
	code, _, out := run(t, sc, base, users)
	require.Equal(t, 0, code, out)
	raw, err := os.ReadFile(ts)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var p struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Tags map[string]string `json:"tags"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(line, &p))
		if p.Type == "Point" && strings.HasPrefix(p.Metric, "authflow_") {
			seen[p.Metric+" "+p.Data.Tags["flow"]+" "+p.Data.Tags["step"]] = true
		}
	}
	for _, want := range []string{
		"authflow_flow_duration signin_totp ",
		"authflow_flows signin_totp ",
		"authflow_step_duration signin_totp 2fa_google",
		"authflow_step_duration signin_totp signin_wizard",
	} {
		assert.True(t, seen[want], "%q in the time series; saw %v", want, seen)
	}
	// Every user of the file has a password and a TOTP secret; none of them
	// may appear in the time series.
	var file []struct{ Password, TOTPSecret string }
	b, err := os.ReadFile(users)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &file))
	for _, u := range file {
		assert.NotContains(t, string(raw), u.Password)
		if u.TOTPSecret != "" {
			assert.NotContains(t, string(raw), u.TOTPSecret)
		}
	}
}
