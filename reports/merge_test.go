package reports

import (
	"math"
	"strings"
	"testing"
)

// A run split into two k6 execution segments (two processes) must merge
// into the totals of the same test run by one process. The fixture server
// decides every outcome from exec.scenario.iterationInTest, so the counts
// of the two runs are equal by construction; latencies are not.
func TestMergeSplitRunMatchesOneProcess(t *testing.T) {
	a, b, whole := mustLoad(t, "split-a.json"), mustLoad(t, "split-b.json"), mustLoad(t, "split-whole.json")
	merged, err := MergeSummaries([]*Summary{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Duration != max(a.Duration, b.Duration) {
		t.Errorf("duration %v", merged.Duration)
	}
	compared := 0
	for _, name := range sortedKeys(whole.Metrics) {
		w := whole.Metrics[name]
		if !strings.HasPrefix(w.Base, "authflow_") && w.Base != "http_reqs" && w.Base != "iterations" && w.Base != "checks" && w.Base != "http_req_failed" {
			continue
		}
		m := merged.Metrics[name]
		if m == nil {
			t.Errorf("%s missing from the merge", name)
			continue
		}
		switch w.Type {
		case Counter:
			if m.Values["count"] != w.Values["count"] {
				t.Errorf("%s count: merged %v, one process %v", name, m.Values["count"], w.Values["count"])
			}
			want := (a.Metrics[name].Value0("count") + b.Metrics[name].Value0("count")) / merged.Duration.Seconds()
			if !near(m.Values["rate"], want) {
				t.Errorf("%s rate %v, want count/duration %v", name, m.Values["rate"], want)
			}
			compared++
		case Rate:
			for _, k := range []string{"passes", "fails", "rate"} {
				if !near(m.Values[k], w.Values[k]) {
					t.Errorf("%s %s: merged %v, one process %v", name, k, m.Values[k], w.Values[k])
				}
			}
			compared++
		}
	}
	if compared < 6 {
		t.Errorf("only %d metrics compared", compared)
	}
	checks := func(s *Summary) (p, f int64) {
		for _, c := range s.Checks {
			p += c.Passes
			f += c.Fails
		}
		return
	}
	mp, mf := checks(merged)
	wp, wf := checks(whole)
	if mp != wp || mf != wf || len(merged.Checks) != len(whole.Checks) {
		t.Errorf("checks merged %d/%d, one process %d/%d", mp, mf, wp, wf)
	}
}

// Value0 is Values[key] or 0, for tests.
func (m *Metric) Value0(key string) float64 {
	if m == nil {
		return 0
	}
	return m.Values[key]
}

// With the time series, merged Trends are recomputed from every point.
func TestMergeTrendsExactFromTimeSeries(t *testing.T) {
	a, b := mustLoad(t, "split-a.json"), mustLoad(t, "split-b.json")
	r := NewTimeSeriesReader()
	for _, f := range []string{"testdata/split-a.ndjson", "testdata/split-b.ndjson"} {
		if err := r.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := r.TimeSeries()
	if err != nil {
		t.Fatal(err)
	}
	merged, err := MergeSummaries([]*Summary{a, b}, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"http_req_duration", "authflow_flow_duration", "authflow_step_duration{flow:sign_in,step:credentials}"} {
		m := merged.Metrics[name]
		if !m.Exact || m.Approx {
			t.Errorf("%s: exact %v approx %v", name, m.Exact, m.Approx)
		}
		values, _ := ts.Values(m.Base, m.Tags)
		want := TrendStats(values, 90, 95)
		for _, k := range []string{"avg", "min", "med", "max", "p(90)", "p(95)"} {
			if !near(m.Values[k], want[k]) {
				t.Errorf("%s %s = %v, want %v", name, k, m.Values[k], want[k])
			}
		}
		if m.Values["min"] != math.Min(a.Metrics[name].Values["min"], b.Metrics[name].Values["min"]) {
			t.Errorf("%s min is not the smaller of the parts'", name)
		}
	}
}

// Without it, min/max are exact, avg exact when a count is known, and
// percentiles are estimates marked Approx.
func TestMergeTrendsWithoutTimeSeries(t *testing.T) {
	a, b := mustLoad(t, "split-a.json"), mustLoad(t, "split-b.json")
	merged, err := MergeSummaries([]*Summary{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := mustSeries(t, "split-a.ndjson", "split-b.ndjson")
	for _, name := range []string{"http_req_duration", "authflow_flow_duration"} {
		m := merged.Metrics[name]
		if !m.Approx || m.Exact {
			t.Errorf("%s should be approximate", name)
		}
		values, _ := ts.Values(name, nil)
		exact := TrendStats(values, 95)
		// The split fixtures use k6's default trend stats (no count): the
		// weights come from the companion counters, so avg is exact.
		for _, k := range []string{"min", "max", "avg"} {
			if !near(m.Values[k], exact[k]) {
				t.Errorf("%s %s = %v, exact %v", name, k, m.Values[k], exact[k])
			}
		}
		lo := math.Min(a.Metrics[name].Values["p(95)"], b.Metrics[name].Values["p(95)"])
		hi := math.Max(a.Metrics[name].Values["p(95)"], b.Metrics[name].Values["p(95)"])
		if p := m.Values["p(95)"]; p < lo || p > hi {
			t.Errorf("%s p(95) estimate %v outside the parts' [%v, %v]", name, p, lo, hi)
		}
	}
	if len(merged.Notes) == 0 || !strings.Contains(strings.Join(merged.Notes, " "), "estimate") {
		t.Errorf("no note on the approximation: %v", merged.Notes)
	}
	// Thresholds are re-evaluated on the merged values.
	th := merged.Metrics["authflow_flow_failed{flow:mfa_password_change}"].Thresholds
	if len(th) != 1 || !th[0].Reevaluated {
		t.Fatalf("thresholds %+v", th)
	}
	ok, _ := EvalThreshold("rate<0.02", merged.Metrics["authflow_flow_failed{flow:mfa_password_change}"].Values)
	if th[0].OK != ok {
		t.Errorf("re-evaluated %v, want %v", th[0].OK, ok)
	}
}

func TestMergeErrors(t *testing.T) {
	if _, err := MergeSummaries(nil, nil); err == nil {
		t.Error("no error for nothing")
	}
	x, _ := ParseSummary([]byte(`{"metrics": {"m": {"type": "counter", "values": {"count": 1}}}}`), "x.json")
	y, _ := ParseSummary([]byte(`{"metrics": {"m": {"type": "trend", "values": {"avg": 1}}}}`), "y.json")
	_, err := MergeSummaries([]*Summary{x, y}, nil)
	if err == nil || !strings.Contains(err.Error(), `"m" is a counter in x.json but a trend in y.json`) {
		t.Errorf("error %v", err)
	}
}

func TestEvalThreshold(t *testing.T) {
	v := map[string]float64{"p(95)": 120, "rate": 0.01, "count": 3, "avg": 10}
	for _, c := range []struct {
		src           string
		ok, evaluable bool
	}{
		{"p(95)<200", true, true},
		{"p( 95 ) < 100", false, true},
		{"rate<0.05", true, true},
		{"count>=3", true, true},
		{"count==3", true, true},
		{"avg!=10", false, true},
		{"p(99)<200", false, false},
		{"max<200", false, false},
		{"rate<0.05 && count<3", false, false},
		{"foo", false, false},
	} {
		ok, ev := EvalThreshold(c.src, v)
		if ok != c.ok || ev != c.evaluable {
			t.Errorf("%q: %v %v, want %v %v", c.src, ok, ev, c.ok, c.evaluable)
		}
	}
}
