package reports

import (
	"math"
	"testing"
)

func runWithStep(p50, p95, fail float64) *RunStats {
	nan := math.NaN()
	return &RunStats{
		HTTPDuration: unknownStats(), FlowDuration: unknownStats(),
		HTTPFailRate: nan, FlowFailRate: nan,
		StepStats: []StepStats{{Flow: "sign_in", Step: "credentials",
			Latency:      Stats{Count: 10, P50: p50, P95: p95, P90: nan, P99: nan, Avg: nan, Min: nan, Max: nan},
			HTTPFailRate: fail}},
	}
}

func TestCompareToleranceAndFloor(t *testing.T) {
	cases := []struct {
		name       string
		base, cand *RunStats
		opt        Options
		regressed  []string // stats flagged
		improved   []string
	}{
		{"within tolerance", runWithStep(100, 200, 0.01), runWithStep(105, 215, 0.0105), Options{Tolerance: 0.10}, nil, nil},
		{"p95 beyond tolerance", runWithStep(100, 200, 0.01), runWithStep(105, 230, 0.01), Options{Tolerance: 0.10}, []string{"p95"}, nil},
		{"1ms to 2ms is noise under a floor", runWithStep(1, 1, 0), runWithStep(2, 2, 0), Options{Tolerance: 0.10, FloorMs: 5}, nil, nil},
		{"1ms to 2ms without a floor", runWithStep(1, 1, 0), runWithStep(2, 2, 0), Options{Tolerance: 0.10}, []string{"p50", "p95"}, nil},
		{"floor does not hide a big change", runWithStep(10, 20, 0), runWithStep(30, 40, 0), Options{Tolerance: 0.10, FloorMs: 5}, []string{"p50", "p95"}, nil},
		{"failure rate from zero", runWithStep(10, 20, 0), runWithStep(10, 20, 0.002), Options{Tolerance: 0.10}, []string{"failure rate"}, nil},
		{"failure rate under the rate floor", runWithStep(10, 20, 0), runWithStep(10, 20, 0.002), Options{Tolerance: 0.10, RateFloor: 0.005}, nil, nil},
		{"improvement", runWithStep(100, 200, 0.05), runWithStep(50, 100, 0.0), Options{Tolerance: 0.10}, nil, []string{"p50", "p95", "failure rate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmp := Compare(c.base, c.cand, c.opt)
			var reg, imp []string
			for _, d := range cmp.Rows {
				if d.Regressed {
					reg = append(reg, d.Stat)
				}
				if d.Improved {
					imp = append(imp, d.Stat)
				}
			}
			if !equalStrings(reg, c.regressed) || !equalStrings(imp, c.improved) {
				t.Errorf("regressed %v improved %v, want %v and %v", reg, imp, c.regressed, c.improved)
			}
			if cmp.Regressions != len(c.regressed) {
				t.Errorf("Regressions = %d", cmp.Regressions)
			}
		})
	}
}

func TestCompareMissingSteps(t *testing.T) {
	a, b := runWithStep(1, 2, 0), runWithStep(1, 2, 0)
	b.StepStats[0].Step = "submit_otp"
	cmp := Compare(a, b, Options{Tolerance: 0.1})
	if len(cmp.OnlyBaseline) != 1 || len(cmp.OnlyCandidate) != 1 || len(cmp.Rows) != 0 {
		t.Errorf("%+v", cmp)
	}
}

func TestCompareFixtureRuns(t *testing.T) {
	// The candidate fixture was recorded with the server's submit_otp step
	// made 60% slower.
	m, err := Build(Input{
		Runs: []*Summary{mustLoad(t, "candidate.json")}, TimeSeries: mustSeries(t, "candidate.ndjson"),
		Baseline: []*Summary{mustLoad(t, "baseline.json")}, BaselineTimeSeries: mustSeries(t, "baseline.ndjson"),
	}, Options{Tolerance: 0.10, FloorMs: 2})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range m.Comparison.Regressed() {
		if d.Name == "sign_in › submit_otp" && d.Stat == "p95" {
			found = true
		}
		if d.Scope == "step" && d.Name != "sign_in › submit_otp" {
			t.Errorf("unexpected step regression %+v", d)
		}
	}
	if !found {
		t.Errorf("submit_otp p95 regression not flagged: %+v", m.Comparison.Rows)
	}
	if m.Verdict.Status != StatusFail {
		t.Errorf("verdict %s (thresholds failed too)", m.Verdict.Status)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
