package reports

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// normalish returns n latencies around mean ms with a long right tail, as
// step latencies are, from a fixed seed.
func normalish(seed uint64, n int, mean float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = mean * (0.5 + r.ExpFloat64()*0.5)
	}
	return out
}

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		x, y       []float64
		minP, maxP float64
	}{
		{"ok/same-distribution", normalish(1, 400, 0.56), normalish(2, 400, 0.56), 0.05, 1},
		{"ok/identical", []float64{1, 1, 1, 1, 1}, []float64{1, 1, 1, 1, 1}, 1, 1},
		{"ok/shifted-by-5ms", normalish(3, 400, 0.56), addMs(normalish(4, 400, 0.56), 5), 0, 1e-6},
		{"ok/too-few-samples", []float64{1, 2, 3}, []float64{10, 20, 30}, 1, 1},
		// Textbook: x all below y, n1=n2=5: U=0, two-sided exact p=0.008;
		// the normal approximation with continuity correction gives 0.012.
		{"ok/separated-5-5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.011, 0.013},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mannWhitney(tc.x, tc.y)
			assert.GreaterOrEqual(t, p, tc.minP)
			assert.LessOrEqual(t, p, tc.maxP)
			assert.InDelta(t, p, mannWhitney(tc.y, tc.x), 1e-12, "symmetric")
		})
	}
}

func addMs(v []float64, ms float64) []float64 {
	for i := range v {
		v[i] += ms
	}
	return v
}

func TestProportionTest(t *testing.T) {
	t.Parallel()
	assert.True(t, math.IsNaN(proportionTest(proportion{0, 0}, proportion{1, 10})))
	assert.InDelta(t, 1, proportionTest(proportion{0, 100}, proportion{0, 100}), 0)
	assert.Greater(t, proportionTest(proportion{1, 1000}, proportion{2, 1000}), 0.05, "1 vs 2 failures in 1000 is noise")
	assert.Less(t, proportionTest(proportion{1, 1000}, proportion{60, 1000}), 0.001)
}

// sampledRun is a run with one step whose samples are given, 30 a second.
func sampledRun(step []float64) *RunStats {
	r := runWithStep(Percentile(sortedCopy(step), 0.5), Percentile(sortedCopy(step), 0.95), 0)
	var b blocks
	for i := 0; i < len(step); i += 30 {
		b = append(b, step[i:min(i+30, len(step))])
	}
	r.samples = map[string]blocks{sampleKey("step", r.StepStats[0].Key()): b}
	return r
}

// Two runs of one build differ by noise: with samples, noise is not a
// regression, even beyond the tolerance; a real shift is.
func TestCompareSamples(t *testing.T) {
	t.Parallel()
	base := normalish(10, 300, 0.56)
	tests := []struct {
		name      string
		cand      []float64
		opt       Options
		regressed int
		tested    bool
	}{
		{"ok/noise-no-floor", normalish(11, 300, 0.56), Options{Tolerance: 0.10}, 0, true},
		{"ok/noise-tail-beyond-tolerance", append(normalish(12, 295, 0.56), 3, 3, 3, 3, 3), Options{Tolerance: 0.10}, 0, true},
		{"err/shift-5ms", addMs(normalish(13, 300, 0.56), 5), Options{Tolerance: 0.10, FloorMs: 1}, 2, true},
		{"ok/shift-under-floor", addMs(normalish(14, 300, 0.56), 0.5), Options{Tolerance: 0.10, FloorMs: 1}, 0, true},
		// Another process's burst of work slows two seconds of ten by 5 ms:
		// the p95 moves far beyond tolerance and floor, but it is noise.
		{"ok/burst-in-two-seconds", append(normalish(15, 240, 0.56), addMs(normalish(16, 60, 0.56), 5)...), Options{Tolerance: 0.10, FloorMs: 1}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Compare(sampledRun(base), sampledRun(tc.cand), tc.opt)
			assert.Equal(t, tc.regressed, c.Regressions, "%+v", c.Rows)
			assert.Equal(t, 2, c.Tested, "p50 and p95 rows tested on samples")
			if tc.regressed == 0 && c.Improvements == 0 {
				assert.Equal(t, "no significant change", c.Headline())
			}
			for _, d := range c.Rows {
				if d.Unit == "ms" {
					assert.False(t, math.IsNaN(d.PValue))
				}
			}
		})
	}
}

// Without samples the comparison says it compared aggregates.
func TestCompareAggregatesSaySo(t *testing.T) {
	t.Parallel()
	c := Compare(runWithStep(1, 2, 0), runWithStep(1, 2, 0), Options{Tolerance: 0.1, FloorMs: 1})
	assert.Equal(t, 0, c.Tested)
	assert.Contains(t, c.Method(), "aggregates compared")
	assert.Equal(t, "no significant change", c.Headline())
}

// A report comparing summaries only says its comparison is of aggregates.
func TestBuildNotesAggregates(t *testing.T) {
	t.Parallel()
	m, err := Build(Input{Runs: []*Summary{mustLoad(t, "candidate.json")}, Baseline: []*Summary{mustLoad(t, "baseline.json")}},
		Options{Tolerance: 0.1, FloorMs: 1})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range m.Notes {
		found = found || strings.Contains(n, "comparison with the baseline is of aggregates")
	}
	assert.True(t, found, "%q", m.Notes)
	assert.Zero(t, m.Comparison.Tested)
}
