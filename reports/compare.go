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
}

// Compare compares a candidate run with a baseline: per flow and per step
// p50, p95 and failure rate, and the overall HTTP and flow numbers. A change
// for the worse is a regression when it exceeds both the relative tolerance
// and the absolute floor.
func Compare(base, cand *RunStats, opt Options) *Comparison {
	c := &Comparison{Baseline: base.Label, Candidate: cand.Label, Tolerance: opt.Tolerance, FloorMs: opt.FloorMs, RateFloor: opt.RateFloor}
	add := func(scope, name, stat, unit string, b, k float64, approx bool) {
		if math.IsNaN(b) || math.IsNaN(k) {
			return
		}
		d := Delta{Scope: scope, Name: name, Stat: stat, Unit: unit, Base: b, Cand: k, Diff: k - b, Rel: math.NaN(), Approx: approx}
		if b != 0 {
			d.Rel = d.Diff / b
		}
		floor := opt.FloorMs
		if unit == "%" {
			floor = opt.RateFloor
		}
		beyond := func(diff float64) bool {
			if diff <= floor || diff <= 0 {
				return false
			}
			return b == 0 || diff/math.Abs(b) > opt.Tolerance
		}
		d.Regressed = beyond(d.Diff)
		d.Improved = beyond(-d.Diff)
		if d.Regressed {
			c.Regressions++
		}
		if d.Improved {
			c.Improvements++
		}
		c.Rows = append(c.Rows, d)
	}
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
