package reports

import (
	"math"
	"sort"
)

// Comparison is a candidate run against a baseline.
type Comparison struct {
	Baseline, Candidate string // labels
	Rows                []Delta
	Regressions         int
	Improvements        int
	// OnlyBaseline and OnlyCandidate name the flows and steps one side
	// has and the other lacks; they are not compared.
	OnlyBaseline, OnlyCandidate   []string
	Tolerance, FloorMs, RateFloor float64
	// Alpha is the significance level of the tests.
	Alpha float64
	// Tested and Untested count the latency rows compared with the U-test
	// on the runs' samples and those compared by their aggregates only.
	// (Failure rates are tested whenever both runs give their counts, as
	// end-of-test summaries do.)
	Tested, Untested int
}

// Method says how the rows were compared, in the reader's words.
func (c *Comparison) Method() string {
	switch {
	case c.Untested == 0 && c.Tested > 0:
		return "samples compared: Mann-Whitney U test of the per-second medians and p95s of the latencies, two-proportion z-test of the failure rates"
	case c.Tested == 0:
		return "aggregates compared (end-of-test summaries, no samples): no significance test of the latencies, " +
			"only changes beyond the tolerance and the floor count; failure rates by the two-proportion z-test on their counts"
	}
	return "samples compared with a significance test where both runs have them, aggregates elsewhere"
}

// Headline is the comparison's outcome in one phrase.
func (c *Comparison) Headline() string {
	if c.Regressions == 0 && c.Improvements == 0 {
		return "no significant change"
	}
	return plural(c.Regressions, "regression", "regressions") + ", " + plural(c.Improvements, "improvement", "improvements")
}

// Delta is one compared number.
type Delta struct {
	Scope      string // "overall", "flow" or "step"
	Name       string // "HTTP requests", "sign_in", "sign_in › credentials"
	Stat       string // "p50", "p95" or "failure rate"
	Unit       string // "ms" or "%"
	Base, Cand float64
	Diff       float64 // Cand - Base
	Rel        float64 // Diff / Base; NaN when Base is 0
	Regressed  bool
	Improved   bool
	Approx     bool // one side is an estimate
	// PValue is the significance test's p-value on the two runs' samples;
	// NaN when the row compares aggregates only.
	PValue float64
}

// Compare compares a candidate run with a baseline: per flow and per step
// p50, p95 and failure rate, and the overall HTTP and flow numbers. A change
// for the worse is a regression when it exceeds both the relative tolerance
// and the absolute floor and, where both runs have samples (time series),
// the samples differ significantly (p < Alpha): two runs of one build
// against one server differ by noise, which is not a regression.
func Compare(base, cand *RunStats, opt Options) *Comparison {
	if opt.Alpha == 0 {
		opt.Alpha = DefaultAlpha
	}
	c := &Comparison{Baseline: base.Label, Candidate: cand.Label, Tolerance: opt.Tolerance, FloorMs: opt.FloorMs, RateFloor: opt.RateFloor, Alpha: opt.Alpha}
	cmp := comparer{c: c, base: base, cand: cand, opt: opt}
	add := cmp.add
	latency := func(scope, name string, b, k Stats) {
		approx := b.Approx || k.Approx
		add(scope, name, "p50", "ms", b.P50, k.P50, approx)
		add(scope, name, "p95", "ms", b.P95, k.P95, approx)
	}
	latency("overall", "HTTP requests", base.HTTPDuration, cand.HTTPDuration)
	add("overall", "HTTP requests", "failure rate", "%", base.HTTPFailRate, cand.HTTPFailRate, false)
	latency("overall", "All flows", base.FlowDuration, cand.FlowDuration)
	add("overall", "All flows", "failure rate", "%", base.FlowFailRate, cand.FlowFailRate, false)

	bf := map[string]FlowStats{}
	for _, f := range base.FlowStats {
		bf[f.Flow] = f
	}
	seen := map[string]bool{}
	for _, f := range cand.FlowStats {
		b, ok := bf[f.Flow]
		if !ok {
			c.OnlyCandidate = append(c.OnlyCandidate, "flow "+f.Flow)
			continue
		}
		seen[f.Flow] = true
		latency("flow", f.Flow, b.Duration, f.Duration)
		add("flow", f.Flow, "failure rate", "%", b.FailRate, f.FailRate, false)
	}
	for _, f := range base.FlowStats {
		if !seen[f.Flow] {
			c.OnlyBaseline = append(c.OnlyBaseline, "flow "+f.Flow)
		}
	}
	bs := map[string]StepStats{}
	for _, s := range base.StepStats {
		bs[s.Key()] = s
	}
	seen = map[string]bool{}
	for _, s := range cand.StepStats {
		b, ok := bs[s.Key()]
		if !ok {
			c.OnlyCandidate = append(c.OnlyCandidate, "step "+s.Key())
			continue
		}
		seen[s.Key()] = true
		latency("step", s.Key(), b.Latency, s.Latency)
		add("step", s.Key(), "failure rate", "%", b.HTTPFailRate, s.HTTPFailRate, false)
	}
	for _, s := range base.StepStats {
		if !seen[s.Key()] {
			c.OnlyBaseline = append(c.OnlyBaseline, "step "+s.Key())
		}
	}
	sort.Strings(c.OnlyBaseline)
	sort.Strings(c.OnlyCandidate)
	return c
}

// comparer adds the rows of one comparison.
type comparer struct {
	c          *Comparison
	base, cand *RunStats
	opt        Options
}

// add compares one number; NaN on either side means it is not compared.
func (x comparer) add(scope, name, stat, unit string, b, k float64, approx bool) {
	if math.IsNaN(b) || math.IsNaN(k) {
		return
	}
	d := Delta{Scope: scope, Name: name, Stat: stat, Unit: unit, Base: b, Cand: k, Diff: k - b, Rel: math.NaN(), Approx: approx,
		PValue: significance(x.base, x.cand, sampleKey(scope, name), stat)}
	if b != 0 {
		d.Rel = d.Diff / b
	}
	floor := x.opt.FloorMs
	if unit == "%" {
		floor = x.opt.RateFloor
	}
	beyond := func(diff float64) bool {
		if diff <= floor || diff <= 0 {
			return false
		}
		if !math.IsNaN(d.PValue) && d.PValue >= x.opt.Alpha {
			return false
		}
		return b == 0 || diff/math.Abs(b) > x.opt.Tolerance
	}
	d.Regressed = beyond(d.Diff)
	d.Improved = beyond(-d.Diff)
	if d.Regressed {
		x.c.Regressions++
	}
	if d.Improved {
		x.c.Improvements++
	}
	switch {
	case unit == "%":
	case math.IsNaN(d.PValue):
		x.c.Untested++
	default:
		x.c.Tested++
	}
	x.c.Rows = append(x.c.Rows, d)
}

// significance is the p-value of the change of the row key between the
// runs' one-second blocks (stat "p50" or "p95") or counts (a failure rate);
// NaN when either run has only aggregates for it.
func significance(base, cand *RunStats, key, stat string) float64 {
	p := map[string]float64{"p50": 0.5, "p95": 0.95}[stat]
	if p == 0 {
		b, ok1 := base.counts[key]
		k, ok2 := cand.counts[key]
		if !ok1 || !ok2 {
			return math.NaN()
		}
		return proportionTest(b, k)
	}
	b, k := base.samples[key], cand.samples[key]
	if b == nil || k == nil {
		return math.NaN()
	}
	return mannWhitney(b.stat(p), k.stat(p))
}

// Regressed returns the rows flagged as regressions.
func (c *Comparison) Regressed() []Delta {
	var out []Delta
	for _, d := range c.Rows {
		if d.Regressed {
			out = append(out, d)
		}
	}
	return out
}
