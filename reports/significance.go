package reports

import (
	"math"
	"sort"
)

// DefaultAlpha is the p-value under which a change between two runs'
// samples is significant, as benchstat uses it.
const DefaultAlpha = 0.05

// minSamples is the fewest observations per side the U-test is run on;
// with fewer no change is ever significant.
const minSamples = 5

// minPerBlock is the fewest samples a one-second block needs to give an
// observation.
const minPerBlock = 3

// blocks are a run's latency samples grouped by the second they were
// recorded in. Requests of one second share the machine's state (a burst
// of other work, a garbage collection), so they are not independent
// observations; the seconds nearly are. Each block's median is one
// observation for the p50 row, its p95 for the p95 row, as benchstat takes
// each run of a benchmark as one observation.
type blocks [][]float64

// stat is the statistic of every block with at least minPerBlock samples:
// p in [0,1].
func (b blocks) stat(p float64) []float64 {
	var out []float64
	for _, v := range b {
		if len(v) >= minPerBlock {
			out = append(out, Percentile(sortedCopy(v), p))
		}
	}
	return out
}

func sortedCopy(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}

func toBlocks(bySecond map[int64][]float64) blocks {
	if len(bySecond) == 0 {
		return nil
	}
	secs := make([]int64, 0, len(bySecond))
	for s := range bySecond {
		secs = append(secs, s)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	out := make(blocks, 0, len(secs))
	for _, s := range secs {
		out = append(out, bySecond[s])
	}
	return out
}

// sampleKey names the samples of one compared row: scope and name.
func sampleKey(scope, name string) string { return scope + "\x00" + name }

// proportion is a failure rate with its counts.
type proportion struct{ trues, n float64 }

// collectSamples keeps, for the comparison, every latency sample of the
// run (overall, per flow, per step) in one-second blocks, and the counts
// behind every failure rate, from the time series.
func (r *RunStats) collectSamples(ts *TimeSeries) {
	r.samples = map[string]blocks{}
	r.counts = map[string]proportion{}
	keep := func(key, metric string, sel map[string]string) {
		if b := toBlocks(ts.BySecond(metric, sel)); b != nil {
			r.samples[key] = b
		}
	}
	count := func(key, metric string, sel map[string]string) {
		if trues, n := ts.Sum(metric, sel); n > 0 {
			r.counts[key] = proportion{trues, float64(n)}
		}
	}
	keep(sampleKey("overall", "HTTP requests"), "http_req_duration", nil)
	count(sampleKey("overall", "HTTP requests"), "http_req_failed", nil)
	keep(sampleKey("overall", "All flows"), "authflow_flow_duration", nil)
	count(sampleKey("overall", "All flows"), "authflow_flow_failed", nil)
	for _, f := range r.FlowStats {
		sel := map[string]string{"flow": f.Flow}
		keep(sampleKey("flow", f.Flow), "authflow_flow_duration", sel)
		count(sampleKey("flow", f.Flow), "authflow_flow_failed", sel)
	}
	for _, s := range r.StepStats {
		sel := map[string]string{"flow": s.Flow, "step": s.Step}
		if s.Metric != "" {
			keep(sampleKey("step", s.Key()), s.Metric, sel)
		}
		count(sampleKey("step", s.Key()), "http_req_failed", sel)
	}
}

// collectCounts keeps the counts behind the failure rates of an
// end-of-test summary (k6 Rate metrics report passes and fails).
func (r *RunStats) collectCounts(s *Summary) {
	r.counts = map[string]proportion{}
	count := func(key, metric string) {
		m := s.Metrics[metric]
		if m == nil {
			return
		}
		trues, ok1 := m.Values["passes"]
		falses, ok2 := m.Values["fails"]
		if ok1 && ok2 && trues+falses > 0 {
			r.counts[key] = proportion{trues, trues + falses}
		}
	}
	count(sampleKey("overall", "HTTP requests"), "http_req_failed")
	count(sampleKey("overall", "All flows"), "authflow_flow_failed")
	for _, f := range r.FlowStats {
		count(sampleKey("flow", f.Flow), "authflow_flow_failed{flow:"+f.Flow+"}")
	}
}

// mannWhitney is the two-sided p-value of the Mann-Whitney U test of x
// against y: how likely samples this different are if both come from one
// distribution. It uses the normal approximation with tie and continuity
// corrections; with fewer than minSamples on a side it returns 1.
func mannWhitney(x, y []float64) float64 {
	n1, n2 := float64(len(x)), float64(len(y))
	if len(x) < minSamples || len(y) < minSamples {
		return 1
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	var r1, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u := r1 - n1*(n1+1)/2
	n := n1 + n2
	sigma2 := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if sigma2 <= 0 {
		return 1 // every value equal
	}
	z := math.Max(0, math.Abs(u-n1*n2/2)-0.5) / math.Sqrt(sigma2)
	return math.Erfc(z / math.Sqrt2)
}

// proportionTest is the two-sided p-value of the two-proportion z-test:
// how likely failure rates this different are if both runs failed alike.
func proportionTest(a, b proportion) float64 {
	if a.n == 0 || b.n == 0 {
		return math.NaN()
	}
	p := (a.trues + b.trues) / (a.n + b.n)
	if p == 0 || p == 1 {
		return 1
	}
	se := math.Sqrt(p * (1 - p) * (1/a.n + 1/b.n))
	z := math.Abs(a.trues/a.n-b.trues/b.n) / se
	return math.Erfc(z / math.Sqrt2)
}
