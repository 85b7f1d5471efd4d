// Package capacity finds the highest arrival rate a target sustains within
// an SLA, by running a load test again and again at different rates: first
// growing the rate geometrically until the SLA breaks, then bisecting between
// the last rate that held and the first that did not. It is how Keycloak's
// benchmark reports logins per second, done here for any authflow flow.
//
// The search knows nothing of k6: a Probe runs one load test at a rate and
// returns what it measured. cmd/authflow's `capacity` command supplies a
// probe that runs bin/k6 on a scenario wrapped by measure.js (k6.go), which
// discards a warm-up before every measured window, and hands each run its
// own slice of the users file (users.go). A run the client side could not
// drive is never counted as the server's limit (LimitedBy).
package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// SLA is what "sustains" means.
type SLA struct {
	// P95 is the highest acceptable 95th percentile of the flow's duration.
	P95 time.Duration
	// ErrorRate is the highest acceptable share of failed flows (0.01 = 1%).
	ErrorRate float64
	// MinAchieved is the lowest acceptable ratio of flows actually started to
	// flows asked for; an open-model test that drops iterations because the
	// target is too slow has not sustained the rate even if its few
	// completed flows were fast. Zero means 0.95.
	MinAchieved float64
}

// Measurement is what one run at one rate measured.
type Measurement struct {
	Rate      float64       // flows per second asked for
	Achieved  float64       // flows per second started
	P95       time.Duration // 95th percentile of the flow duration
	ErrorRate float64       // failed flows / flows
	Flows     int64         // flows completed
	Dropped   int64         // iterations k6 could not start (no idle VU)
	VUs       int           // VUs the run had
	ClientCPU float64       // CPU cores the load generator used on average
	// Client, when not empty, says why the client side could not drive
	// this rate (its CPU saturated, its user pool ran dry): whatever the
	// run measured is then not the server's.
	Client string
}

// Limit names what stopped a rate from meeting the SLA.
type Limit string

// The limits a run can hit. LimitClient is never a server capacity.
const (
	LimitNone     Limit = ""
	LimitLatency  Limit = "latency"  // the server's p95 over the SLA
	LimitFailures Limit = "failures" // failed flows over the SLA, or none completed
	LimitClient   Limit = "client"   // the load generator could not drive the rate
)

// Check says whether m meets the SLA, and if not, why.
func (s SLA) Check(m Measurement) (bool, string) {
	limit, reason := s.Classify(m)
	return limit == LimitNone, reason
}

// Classify says what, if anything, kept m from meeting the SLA. A client
// problem comes first: it makes the other figures meaningless. Iterations
// not started while the flows that ran were fast and successful mean the
// VUs were too few for the rate, a client limit too.
func (s SLA) Classify(m Measurement) (Limit, string) {
	minAchieved := s.MinAchieved
	if minAchieved == 0 {
		minAchieved = 0.95
	}
	switch {
	case m.Client != "":
		return LimitClient, "client-limited: " + m.Client
	case m.Flows == 0:
		return LimitFailures, "no flow started in the measured window: every VU was still busy " +
			"(with flows the server did not answer, or with its own first iteration)"
	case s.P95 > 0 && m.P95 > s.P95:
		return LimitLatency, fmt.Sprintf("p95 %s > %s", m.P95.Round(time.Millisecond/10), s.P95)
	case m.ErrorRate > s.ErrorRate:
		return LimitFailures, fmt.Sprintf("failed flows %.2f%% > %.2f%%", 100*m.ErrorRate, 100*s.ErrorRate)
	case m.Rate > 0 && m.Achieved/m.Rate < minAchieved:
		return LimitClient, fmt.Sprintf("client-limited: started %.1f/s of %.1f/s asked, flows fast and successful: "+
			"the %d VUs were too few (raise --max-vus)", m.Achieved, m.Rate, m.VUs)
	}
	return LimitNone, ""
}

// Probe runs one load test at rate flows per second.
type Probe func(ctx context.Context, rate float64) (Measurement, error)

// Search bounds the search.
type Search struct {
	Start     float64 // first rate tried (flows/s)
	Max       float64 // never try above this rate
	Factor    float64 // growth between rates while the SLA holds; >1
	Precision float64 // stop bisecting when hi/lo <= 1+Precision
	MaxRuns   int     // never more runs than this
	// Retries is how many more times a rate that broke the SLA is run
	// before it counts as broken: on a shared machine one window can fall
	// on someone else's burst of work. It holds if any of its runs does.
	Retries int
	SLA     SLA
}

// Run is one probe and its verdict.
type Run struct {
	Measurement
	OK        bool
	LimitedBy Limit
	Reason    string
	Retry     bool // a repeat of a rate whose last run broke the SLA
}

// Result is the outcome of a search.
type Result struct {
	// Capacity is the highest rate that met the SLA; 0 when even Start did not.
	Capacity float64
	// Limit is the lowest rate that broke the SLA; 0 when none did up to Max.
	Limit float64
	// LimitedBy is what broke the SLA at Limit; LimitClient means the
	// server's capacity is at least Capacity and unknown beyond.
	LimitedBy Limit
	Runs      []Run
}

// ErrBadSearch reports bounds that cannot describe a search.
var ErrBadSearch = errors.New("capacity: invalid search bounds")

func (s Search) validate() error {
	switch {
	case s.Start <= 0, s.Max < s.Start:
		return fmt.Errorf("%w: need 0 < start <= max (start %g, max %g)", ErrBadSearch, s.Start, s.Max)
	case s.Factor <= 1:
		return fmt.Errorf("%w: factor must be > 1 (got %g)", ErrBadSearch, s.Factor)
	case s.Precision <= 0:
		return fmt.Errorf("%w: precision must be > 0 (got %g)", ErrBadSearch, s.Precision)
	case s.MaxRuns < 1:
		return fmt.Errorf("%w: max runs must be >= 1 (got %d)", ErrBadSearch, s.MaxRuns)
	case s.Retries < 0:
		return fmt.Errorf("%w: retries must be >= 0 (got %d)", ErrBadSearch, s.Retries)
	}
	return nil
}

// Find runs the search. onRun, if not nil, is told of every run as it ends
// (for progress output). A probe error stops the search: it means the load
// test itself could not run, which says nothing of the target.
func (s Search) Find(ctx context.Context, probe Probe, onRun func(Run)) (Result, error) {
	if err := s.validate(); err != nil {
		return Result{}, err
	}
	var res Result
	try := func(rate float64) (bool, error) {
		for attempt := 0; ; attempt++ {
			m, err := probe(ctx, rate)
			if err != nil {
				return false, fmt.Errorf("capacity: run at %.4g/s: %w", rate, err)
			}
			m.Rate = rate
			limit, reason := s.SLA.Classify(m)
			ok := limit == LimitNone
			run := Run{Measurement: m, OK: ok, LimitedBy: limit, Reason: reason, Retry: attempt > 0}
			res.Runs = append(res.Runs, run)
			if onRun != nil {
				onRun(run)
			}
			if ok || attempt >= s.Retries || len(res.Runs) >= s.MaxRuns {
				return ok, nil
			}
		}
	}

	// Grow until the SLA breaks or Max is reached.
	lo, hi := 0.0, 0.0
	for rate := s.Start; len(res.Runs) < s.MaxRuns; rate = math.Min(rate*s.Factor, s.Max) {
		ok, err := try(rate)
		if err != nil {
			return res, err
		}
		if !ok {
			hi = rate
			break
		}
		lo = rate
		if rate >= s.Max {
			break
		}
	}
	// Bisect between the last good and the first bad rate.
	for hi > 0 && lo > 0 && hi/lo > 1+s.Precision && len(res.Runs) < s.MaxRuns {
		mid := math.Sqrt(lo * hi) // geometric: rates span orders of magnitude
		ok, err := try(mid)
		if err != nil {
			return res, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	res.Capacity, res.Limit = lo, hi
	for _, r := range res.Runs {
		if !r.OK && r.Rate == hi {
			res.LimitedBy = r.LimitedBy
		}
	}
	return res, nil
}

// Verdict is the one-line outcome of a search, in flows of flow per second.
func Verdict(s Search, res Result, flow string) string {
	switch {
	case res.LimitedBy == LimitClient && res.Capacity == 0:
		return fmt.Sprintf("client-limited at %.4g %s/s: the load generator could not drive the first rate, "+
			"so nothing is known of the server's capacity", res.Limit, flow)
	case res.LimitedBy == LimitClient:
		return fmt.Sprintf("at least %.4g %s/s; client-limited at %.4g/s, so the server's capacity may be higher",
			res.Capacity, flow, res.Limit)
	case res.Capacity == 0:
		return fmt.Sprintf("below %.4g %s/s (the first rate tried already broke the SLA: %s)", s.Start, flow, res.LimitedBy)
	case res.Limit == 0 && res.Capacity < s.Max:
		return fmt.Sprintf("at least %.4g %s/s (the SLA held; the search used its %d runs before reaching --max)",
			res.Capacity, flow, len(res.Runs))
	case res.Limit == 0:
		return fmt.Sprintf("at least %.4g %s/s (the SLA held up to --max)", res.Capacity, flow)
	}
	return fmt.Sprintf("%.4g %s/s within the SLA (broken at %.4g/s by %s), %d runs",
		res.Capacity, flow, res.Limit, res.LimitedBy, len(res.Runs))
}
