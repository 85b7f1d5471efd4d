package capacity

import (
	"math"
	"time"
)

// Report is the search as `authflow capacity --out` writes it: lower-case
// names, rates in flows per second, durations in milliseconds, shares as
// fractions (0.01 = 1%). README's "Capacity search" documents every field.
type Report struct {
	Flow   string    `json:"flow"`
	Script string    `json:"script"`
	SLA    ReportSLA `json:"sla"`
	// WarmupS and DurationS are each run's discarded warm-up and measured
	// window, seconds.
	WarmupS   float64 `json:"warmup_s"`
	DurationS float64 `json:"duration_s"`
	// CapacityPerS is the highest rate that met the SLA (0: not even the
	// first); LimitPerS the lowest that did not (0: none up to --max).
	CapacityPerS float64 `json:"capacity_per_s"`
	LimitPerS    float64 `json:"limit_per_s"`
	// LimitedBy is what broke the SLA at LimitPerS: "latency", "failures",
	// "client" (the load generator, never the server), or "" when nothing did.
	LimitedBy string `json:"limited_by"`
	Verdict   string `json:"verdict"`
	// ClosedLoopPerS is the flow's closed-loop throughput with
	// ClosedLoopVUs VUs (--closed-vus), 0 when not measured.
	ClosedLoopPerS float64     `json:"closed_loop_per_s"`
	ClosedLoopVUs  int         `json:"closed_loop_vus"`
	Runs           []ReportRun `json:"runs"`
}

// ReportSLA is the SLA of a search.
type ReportSLA struct {
	P95Ms       float64 `json:"p95_ms"`
	FailureRate float64 `json:"failure_rate"`
	MinAchieved float64 `json:"min_achieved"`
}

// ReportRun is one run of a search.
type ReportRun struct {
	RatePerS     float64 `json:"rate_per_s"`
	AchievedPerS float64 `json:"achieved_per_s"`
	P95Ms        float64 `json:"p95_ms"`
	FailureRate  float64 `json:"failure_rate"`
	Flows        int64   `json:"flows"`
	Dropped      int64   `json:"dropped_iterations"`
	VUs          int     `json:"vus"`
	ClientCPU    float64 `json:"client_cpu_cores"`
	OK           bool    `json:"ok"`
	LimitedBy    string  `json:"limited_by"`
	Reason       string  `json:"reason"`
	Retry        bool    `json:"retry"`
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// NewReport describes res, the outcome of s on flow run by script.
func NewReport(s Search, res Result, flow, script string, warmup, window time.Duration) Report {
	minAchieved := s.SLA.MinAchieved
	if minAchieved == 0 {
		minAchieved = 0.95
	}
	r := Report{
		Flow: flow, Script: script,
		SLA:          ReportSLA{P95Ms: ms(s.SLA.P95), FailureRate: s.SLA.ErrorRate, MinAchieved: minAchieved},
		WarmupS:      warmup.Seconds(),
		DurationS:    window.Seconds(),
		CapacityPerS: round3(res.Capacity), LimitPerS: round3(res.Limit),
		LimitedBy: string(res.LimitedBy),
		Verdict:   Verdict(s, res, flow),
		Runs:      make([]ReportRun, 0, len(res.Runs)),
	}
	for _, run := range res.Runs {
		r.Runs = append(r.Runs, ReportRun{
			RatePerS: round3(run.Rate), AchievedPerS: round3(run.Achieved),
			P95Ms: ms(run.P95), FailureRate: round6(run.ErrorRate),
			Flows: run.Flows, Dropped: run.Dropped, VUs: run.VUs, ClientCPU: math.Round(run.ClientCPU*100) / 100,
			OK: run.OK, LimitedBy: string(run.LimitedBy), Reason: run.Reason, Retry: run.Retry,
		})
	}
	return r
}
