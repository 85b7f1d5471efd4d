package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startPrometheus starts Debian's prometheus on a free loopback port with a
// temporary storage, the remote-write receiver and native histograms on,
// and returns its URL. It stops with the test.
func startPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	requireTool(t, "prometheus (Debian package prometheus)", err)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("global:\n  evaluation_interval: 1m\n"), 0o600))
	addr := loopback(freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-remote-write-receiver",
		"--enable-feature=native-histograms", "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not become ready on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promSeries is one series of an instant query's answer.
type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSeries) number(t *testing.T) float64 {
	str, _ := s.Value[1].(string)
	f, err := strconv.ParseFloat(str, 64)
	require.NoError(t, err, "sample value %v", s.Value)
	return f
}

// promQuery evaluates an instant query through Prometheus' HTTP API.
func promQuery(t *testing.T, base, query string) []promSeries {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     []promSeries `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status, "query %s: %s", query, body.Error)
	require.Equal(t, "vector", body.Data.ResultType, query)
	return body.Data.Result
}

// promLabelValues is what Grafana's label_values(metric, label) asks.
func promLabelValues(t *testing.T, base, label, match string) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/label/" + label + "/values?" + url.Values{"match[]": {match}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Data []string `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.Data
}

// dashboardQuery is one target of a panel.
type dashboardQuery struct {
	Panel, Type, Expr, Legend string
}

// dashboard reads every panel query, in rows' panels too, and the stat
// variable's values.
func dashboard(t *testing.T) (queries []dashboardQuery, stats []string, vars map[string]string) {
	t.Helper()
	type panel struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr   string `json:"expr"`
			Legend string `json:"legendFormat"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name    string          `json:"name"`
				Query   json.RawMessage `json:"query"`
				Options []struct {
					Value string `json:"value"`
				} `json:"options"`
			} `json:"list"`
		} `json:"templating"`
	}
	b, err := os.ReadFile(filepath.Join("..", "reports", "grafana", "authflow-dashboard.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &dash))
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			require.NoError(t, json.Unmarshal(raw, &p))
			for _, tg := range p.Targets {
				queries = append(queries, dashboardQuery{Panel: p.Title, Type: p.Type, Expr: tg.Expr, Legend: tg.Legend})
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	vars = map[string]string{}
	for _, v := range dash.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			vars[v.Name] = q.Query
		}
		if v.Name == "stat" {
			for _, o := range v.Options {
				stats = append(stats, o.Value)
			}
		}
	}
	return queries, stats, vars
}

// The counters of events a run may or may not provoke: a query of one by
// flow has data only when the run had the event.
var eventMetrics = []string{"authflow_lockouts", "authflow_rate_limited", "authflow_otp_rejected"}

// TestGrafanaDashboardAgainstPrometheus feeds a real Prometheus from bin/k6's
// -o experimental-prometheus-rw during a shipped scenario, once with trends
// as gauges (every stat the dashboard offers) and once as native histograms,
// and evaluates every query of reports/grafana/authflow-dashboard.json with
// its template variables substituted: each returns the series it should,
// with the labels its legend uses, and a failure rate without failures is 0.
func TestGrafanaDashboardAgainstPrometheus(t *testing.T) {
	prom := startPrometheus(t)
	queries, stats, vars := dashboard(t)
	require.GreaterOrEqual(t, len(queries), 10)
	require.NotEmpty(t, stats)
	k6Stats := make([]string, len(stats))
	for i, s := range stats {
		k6Stats[i] = s
		if strings.HasPrefix(s, "p") {
			k6Stats[i] = "p(" + s[1:] + ")"
		}
	}
	for _, mode := range []struct {
		name   string
		native bool
		env    string
	}{
		{"gauges", false, "K6_PROMETHEUS_RW_TREND_STATS=" + strings.Join(k6Stats, ",")},
		{"native_histograms", true, "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			testid := fmt.Sprintf("authflow-%s-%d", mode.name, time.Now().UnixNano())
			sum, out := runScenario(t, "lockout_probe.js",
				[]string{"-o", "experimental-prometheus-rw", "--tag", "testid=" + testid},
				mode.env, "K6_PROMETHEUS_RW_SERVER_URL="+prom+"/api/v1/write",
				"K6_PROMETHEUS_RW_PUSH_INTERVAL=1s", "K6_PROMETHEUS_RW_STALE_MARKERS=false")
			require.Positive(t, sum.count("authflow_lockouts"), "the scenario provokes lockouts\n%s", out)
			checkVariables(t, prom, vars, testid)
			for _, q := range queries {
				for _, expr := range substitute(q.Expr, testid, stats) {
					// A stat panel shows one number, never "No data".
					want := q.Type == "stat" || wantsData(expr, mode.native, sum)
					got := promQuery(t, prom, expr)
					if !want {
						assert.Empty(t, got, "%s: %s", q.Panel, expr)
						continue
					}
					if assert.NotEmpty(t, got, "%s: no data for %s", q.Panel, expr) {
						checkSeries(t, prom, q, expr, testid, got)
					}
				}
			}
		})
	}
}

// substitute fills in the template variables as Grafana would with testid
// selected, every flow (the variable's All value) and each trend stat.
func substitute(expr, testid string, stats []string) []string {
	r := strings.NewReplacer("$testid", regexp.QuoteMeta(testid), "$flow", ".*",
		"$__rate_interval", "1m", "$__range", "5m")
	expr = r.Replace(expr)
	if !strings.Contains(expr, "$stat") {
		return []string{expr}
	}
	var out []string
	for _, s := range stats {
		out = append(out, strings.ReplaceAll(expr, "$stat", s))
	}
	return out
}

// wantsData says whether a query must return data after a run: trend
// gauges only in the gauges run, native histograms only in the other, an
// event by flow only when the run had that event, everything else always.
func wantsData(expr string, native bool, sum summary) bool {
	switch {
	case strings.Contains(expr, "_seconds"):
		return native
	case strings.Contains(expr, "duration_"):
		return !native
	}
	for _, m := range eventMetrics {
		if strings.Contains(expr, "k6_"+m+"_total") {
			return sum.count(m) > 0
		}
	}
	return true
}

// checkSeries checks the labels a legend uses, and that a failure rate
// reads 0 when the run had no failed flow.
func checkSeries(t *testing.T, prom string, q dashboardQuery, expr, testid string, got []promSeries) {
	t.Helper()
	for _, m := range regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`).FindAllStringSubmatch(q.Legend, -1) {
		for _, s := range got {
			assert.NotEmpty(t, s.Metric[m[1]], "%s: a series without the %s its legend shows: %v (%s)", q.Panel, m[1], s.Metric, expr)
		}
	}
	for _, s := range got {
		v := s.number(t)
		assert.False(t, math.IsNaN(v), "%s: NaN from %s", q.Panel, expr)
	}
	if q.Type == "stat" {
		assert.Len(t, got, 1, "%s: a stat panel shows one number (%s)", q.Panel, expr)
	}
	if strings.Contains(expr, `outcome="failure"`) {
		require.Len(t, got, 1, expr)
		failures := promQuery(t, prom, fmt.Sprintf(`k6_authflow_flows_total{testid=%q, outcome="failure"}`, testid))
		if len(failures) == 0 {
			assert.Zero(t, got[0].number(t), "%s reads %v without a failed flow", q.Panel, got[0].Value)
		}
	}
}

// checkVariables asks the template variables' label_values queries.
func checkVariables(t *testing.T, prom string, vars map[string]string, testid string) {
	t.Helper()
	re := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
	for _, name := range []string{"testid", "flow"} {
		m := re.FindStringSubmatch(vars[name])
		if !assert.NotNil(t, m, "variable %s: %q is not label_values(metric, label)", name, vars[name]) {
			continue
		}
		match := strings.ReplaceAll(m[1], "$testid", regexp.QuoteMeta(testid))
		values := promLabelValues(t, prom, m[2], match)
		if name == "testid" {
			assert.Contains(t, values, testid, "variable testid")
		} else {
			assert.NotEmpty(t, values, "variable %s", name)
		}
	}
}
