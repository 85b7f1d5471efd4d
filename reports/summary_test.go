package reports

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *Summary {
	t.Helper()
	s, err := LoadSummary(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseSummaryHandleSummary(t *testing.T) {
	s := mustLoad(t, "baseline.json")
	if s.Format != FormatHandleSummary {
		t.Errorf("format = %q", s.Format)
	}
	if s.Duration < 10*time.Second || s.Duration > 11*time.Second {
		t.Errorf("duration = %v, want about 10s (state.testRunDurationMs)", s.Duration)
	}
	m := s.Metrics["authflow_step_duration{flow:sign_in,step:credentials}"]
	if m == nil {
		t.Fatal("submetric missing")
	}
	if m.Base != "authflow_step_duration" || m.Tags["flow"] != "sign_in" || m.Tags["step"] != "credentials" || len(m.Tags) != 2 {
		t.Errorf("submetric parsed as %q %v", m.Base, m.Tags)
	}
	if m.Type != Trend || m.Contains != "time" {
		t.Errorf("type %q contains %q", m.Type, m.Contains)
	}
	for _, k := range []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"} {
		if _, ok := m.Values[k]; !ok {
			t.Errorf("value %s missing", k)
		}
	}
	if len(m.Thresholds) != 2 || m.Thresholds[0].Source != "p(95)<150" || !m.Thresholds[0].OK {
		t.Errorf("thresholds = %+v", m.Thresholds)
	}
	// Lockouts and rate limits stay out of authflow_flow_failed.
	r := s.Metrics["authflow_flow_failed"]
	counted := s.Metrics["authflow_flows"].Values["count"] - s.Metrics["authflow_lockouts"].Values["count"] - s.Metrics["authflow_rate_limited"].Values["count"]
	if r.Type != Rate || r.Values["passes"]+r.Values["fails"] != counted {
		t.Errorf("rate values %v, want passes+fails = %v", r.Values, counted)
	}
	if len(s.Checks) != 6 || s.Checks[1].Name != "credentials answered 200" || s.Checks[1].Fails == 0 {
		t.Errorf("checks = %+v", s.Checks)
	}
}

func TestParseSummaryMachineReadable(t *testing.T) {
	s := mustLoad(t, "machine-readable.json")
	if s.Format != FormatMachineReadable {
		t.Fatalf("format = %q", s.Format)
	}
	if s.Duration < 2*time.Second || s.Duration > 4*time.Second {
		t.Errorf("duration = %v (config.duration is in seconds)", s.Duration)
	}
	m := s.Metrics["authflow_step_duration{flow:sign_in,step:credentials}"]
	if m == nil || m.Type != Trend {
		t.Fatalf("trend submetric: %+v", m)
	}
	if _, ok := m.Values["p(95)"]; !ok {
		t.Errorf("p95 not normalised to p(95): %v", m.Values)
	}
	r := s.Metrics["http_req_failed"]
	if r == nil || r.Type != Rate {
		t.Fatalf("http_req_failed: %+v", r)
	}
	if _, ok := r.Values["passes"]; !ok {
		t.Errorf("matches/total not normalised to passes/fails: %v", r.Values)
	}
	if len(s.Checks) == 0 {
		t.Error("no checks")
	}
	for _, m := range s.Metrics {
		if len(m.Thresholds) > 0 {
			t.Errorf("%s has thresholds; the format has none", m.Name)
		}
	}
}

func TestParseSummaryExport(t *testing.T) {
	s := mustLoad(t, "summary-export.json")
	if s.Format != FormatSummaryExport {
		t.Fatalf("format = %q", s.Format)
	}
	if s.Duration < 2*time.Second || s.Duration > 4*time.Second {
		t.Errorf("duration derived from count/rate = %v", s.Duration)
	}
	m := s.Metrics["authflow_flow_failed{flow:mfa_password_change}"]
	if m == nil || m.Type != Rate {
		t.Fatalf("%+v", m)
	}
	if _, ok := m.Values["rate"]; !ok {
		t.Errorf("value not renamed to rate: %v", m.Values)
	}
	// --summary-export stores "failed" where handleSummary stores "ok".
	if len(m.Thresholds) != 1 || m.Thresholds[0].Source != "rate<0.02" {
		t.Fatalf("thresholds %+v", m.Thresholds)
	}
	ok, _ := EvalThreshold("rate<0.02", m.Values)
	if m.Thresholds[0].OK != ok {
		t.Errorf("threshold ok = %v, but rate %v < 0.02 is %v", m.Thresholds[0].OK, m.Values["rate"], ok)
	}
	if got := s.Metrics["http_req_duration{flow:mfa_password_change,step:validate}"]; got == nil || got.Type != Trend {
		t.Errorf("trend type not inferred: %+v", got)
	}
	if len(s.Checks) != 6 {
		t.Errorf("checks from the name-keyed object: %d", len(s.Checks))
	}
}

func TestParseSummaryMalformed(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"spaces", "  \n ", "empty file"},
		{"array", `[1,2]`, "expected a JSON object"},
		{"truncated", "{\n \"metrics\": {\n  \"x\": {", "invalid JSON: line 3"},
		{"no metrics", `{"state": {}}`, `no "metrics" object`},
		{"metrics not object", `{"metrics": [1]}`, `"metrics" must be an object`},
		{"metric not object", `{"metrics": {"x": 3}}`, `metric "x": expected an object`},
		{"unknown type", `{"metrics": {"x": {"type": "histogram", "values": {}}}}`, `unknown type "histogram"`},
		{"no type", `{"metrics": {"x": {"values": {"count": 1}}}}`, `metric "x": no type`},
		{"values not object", `{"metrics": {"x": {"type": "counter", "values": [1]}}}`, "expected an object of numbers"},
		{"threshold shape", `{"metrics": {"x": {"type": "counter", "values": {}, "thresholds": {"count<1": true}}}}`, `want {"expression": {"ok": bool}}`},
		{"threshold no ok", `{"metrics": {"x": {"type": "counter", "values": {}, "thresholds": {"count<1": {}}}}}`, `has no "ok"`},
		{"bad name", `{"metrics": {"x{a:b": {"type": "counter", "values": {}}}}`, "want name{tag:value"},
		{"negative count", `{"metrics": {"x": {"type": "counter", "values": {"count": -1}}}}`, "count is negative"},
		{"bad state", `{"state": [], "metrics": {}}`, `"state"`},
		{"bad checks", `{"metrics": {}, "root_group": {"checks": 5}}`, "root_group: checks"},
		{"mr metrics not array", `{"results": {"metrics": {}}}`, "machine-readable summary"},
		{"mr nameless", `{"results": {"metrics": [{"type": "counter", "values": {}}]}}`, "no name"},
		{"ndjson", "{\"type\":\"Metric\",\"data\":{},\"metric\":\"x\"}\n{\"type\":\"Point\",\"metric\":\"x\",\"data\":{}}\n", "pass it with --timeseries"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSummary([]byte(c.in), "in.json")
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "summary in.json: ") {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseSummaryNullValues(t *testing.T) {
	// JSON.stringify turns NaN into null; such values are dropped.
	s, err := ParseSummary([]byte(`{"metrics": {"t": {"type": "trend", "contains": "time", "values": {"avg": null, "max": 3}}}}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Metrics["t"].Values["avg"]; ok || s.Metrics["t"].Values["max"] != 3 {
		t.Errorf("values %v", s.Metrics["t"].Values)
	}
}

func TestParseMetricName(t *testing.T) {
	base, tags, err := ParseMetricName(`http_req_duration{ step: "credentials" ,flow:'sign_in'}`)
	if err != nil || base != "http_req_duration" || tags["step"] != "credentials" || tags["flow"] != "sign_in" {
		t.Errorf("%q %v %v", base, tags, err)
	}
	for _, bad := range []string{"", "{a:b}", "a}", "a{b:c"} {
		if _, _, err := ParseMetricName(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseSummary(f *testing.F) {
	for _, name := range []string{"baseline.json", "machine-readable.json", "summary-export.json", "split-a.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"metrics": {"x{a:b}": {"type": "trend", "values": {"p(95)": 1e308, "count": 2}, "thresholds": {"p(95)<1": {"ok": false}}}}, "root_group": {"groups": [{"checks": [{"name": "c", "passes": 1}]}]}}`))
	f.Add([]byte(`{"results": {"metrics": [{"name": "r", "type": "rate", "values": {"matches": 1, "total": 2, "rate": 0.5}}]}, "config": {"duration": 1e300}}`))
	f.Add([]byte(`{"metrics": {"x": {"avg": 1, "thresholds": {"avg<2": false}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSummary(data, "fuzz.json")
		if err != nil {
			if s != nil {
				t.Fatal("summary and error")
			}
			return
		}
		for name, m := range s.Metrics {
			switch m.Type {
			case Counter, Gauge, Rate, Trend:
			default:
				t.Fatalf("%s: type %q", name, m.Type)
			}
			for k, v := range m.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: %s = %v", name, k, v)
				}
			}
		}
		if s.Duration < 0 {
			t.Fatalf("negative duration")
		}
		// Whatever parses must build into a model.
		if _, err := Build(Input{Runs: []*Summary{s}}, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}
