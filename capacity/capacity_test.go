package capacity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knee models a target whose p95 stays at 50ms up to a rate and then climbs
// steeply, and which starts failing flows well past it.
func knee(at float64) Probe {
	return func(_ context.Context, rate float64) (Measurement, error) {
		m := Measurement{Rate: rate, Achieved: rate, Flows: int64(rate * 10), P95: 50 * time.Millisecond}
		if rate > at {
			m.P95 = time.Duration(float64(50*time.Millisecond) * (1 + 10*(rate-at)/at))
		}
		if rate > 2*at {
			m.ErrorRate = 0.2
		}
		return m, nil
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	sla := SLA{P95: 100 * time.Millisecond, ErrorRate: 0.01}
	tests := []struct {
		name         string
		search       Search
		probe        Probe
		wantCapacity float64 // within the search precision
		wantLimit    bool
	}{
		{"ok/knee-at-110", Search{Start: 10, Max: 10000, Factor: 2, Precision: 0.05, MaxRuns: 30, SLA: sla}, knee(110), 110 * 1.1, true},
		{"ok/never-breaks-stops-at-max", Search{Start: 10, Max: 100, Factor: 2, Precision: 0.05, MaxRuns: 30, SLA: sla}, knee(1e9), 100, false},
		{"ok/start-already-too-fast", Search{Start: 500, Max: 1000, Factor: 2, Precision: 0.05, MaxRuns: 30, SLA: sla}, knee(100), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := tc.search.Find(context.Background(), tc.probe, nil)
			require.NoError(t, err)
			if tc.wantCapacity == 0 {
				assert.Zero(t, res.Capacity)
			} else {
				// the knee's SLA boundary for p95 100ms is at 1.1x the knee
				assert.InEpsilon(t, tc.wantCapacity, res.Capacity, tc.search.Precision+0.01)
			}
			assert.Equal(t, tc.wantLimit, res.Limit > 0)
			assert.LessOrEqual(t, len(res.Runs), tc.search.MaxRuns)
			for _, r := range res.Runs {
				assert.LessOrEqual(t, r.Rate, tc.search.Max)
				if r.OK {
					assert.LessOrEqual(t, r.Rate, res.Capacity)
				}
			}
		})
	}
}

// A search stopped by the client says so, and never as a server capacity.
func TestFindClientLimited(t *testing.T) {
	t.Parallel()
	clientAt := func(at float64) Probe {
		return func(_ context.Context, rate float64) (Measurement, error) {
			m := Measurement{Rate: rate, Achieved: rate, Flows: 100, P95: time.Millisecond, VUs: 10}
			if rate > at {
				m.Achieved = at
			}
			return m, nil
		}
	}
	s := Search{Start: 10, Max: 1000, Factor: 2, Precision: 0.1, MaxRuns: 20, SLA: SLA{P95: 50 * time.Millisecond, ErrorRate: 0.01}}
	res, err := s.Find(context.Background(), clientAt(100), nil)
	require.NoError(t, err)
	assert.Equal(t, LimitClient, res.LimitedBy)
	assert.Contains(t, Verdict(s, res, "signin_totp"), "client-limited at")
	assert.Contains(t, Verdict(s, res, "signin_totp"), "at least")
}

// A rate that broke the SLA once and held on its retry holds; one that
// broke it every time is the limit.
func TestFindRetries(t *testing.T) {
	t.Parallel()
	runs := map[float64]int{}
	flaky := func(_ context.Context, rate float64) (Measurement, error) {
		runs[rate]++
		m := Measurement{Rate: rate, Achieved: rate, Flows: 100, P95: time.Millisecond}
		if rate >= 40 || (rate == 20 && runs[rate] == 1) {
			m.P95 = time.Second // 20/s: a hiccup on its first run only
		}
		return m, nil
	}
	s := Search{Start: 10, Max: 1000, Factor: 2, Precision: 1, MaxRuns: 10, Retries: 1, SLA: SLA{P95: 50 * time.Millisecond}}
	res, err := s.Find(context.Background(), flaky, nil)
	require.NoError(t, err)
	assert.InDelta(t, 20, res.Capacity, 1e-9)
	assert.InDelta(t, 40, res.Limit, 1e-9)
	assert.Equal(t, 2, runs[20])
	assert.Equal(t, 2, runs[40], "the limit is confirmed")
	assert.True(t, res.Runs[2].Retry)
	assert.Equal(t, LimitLatency, res.LimitedBy)
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	s := Search{Start: 5, Max: 400, Factor: 2, Precision: 0.1, MaxRuns: 3, SLA: SLA{P95: 50 * time.Millisecond}}
	tests := []struct {
		name string
		res  Result
		want string
	}{
		{"ok/out-of-runs", Result{Capacity: 20, Runs: make([]Run, 3)}, "used its 3 runs before reaching --max"},
		{"ok/held-to-max", Result{Capacity: 400, Runs: make([]Run, 8)}, "held up to --max"},
		{"ok/bracketed", Result{Capacity: 100, Limit: 110, LimitedBy: LimitLatency, Runs: make([]Run, 8)}, "broken at 110/s by latency"},
		{"ok/first-rate-broke", Result{Limit: 5, LimitedBy: LimitFailures, Runs: make([]Run, 1)}, "below 5 signin_totp/s"},
		{"ok/client-at-first", Result{Limit: 5, LimitedBy: LimitClient, Runs: make([]Run, 1)}, "nothing is known of the server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, Verdict(s, tc.res, "signin_totp"), tc.want)
		})
	}
}

func TestFindErrors(t *testing.T) {
	t.Parallel()
	sla := SLA{P95: time.Second}
	boom := errors.New("k6 not found")
	tests := []struct {
		name   string
		search Search
		probe  Probe
		want   error
	}{
		{"err/zero-start", Search{Start: 0, Max: 10, Factor: 2, Precision: 0.1, MaxRuns: 5, SLA: sla}, knee(5), ErrBadSearch},
		{"err/factor-one", Search{Start: 1, Max: 10, Factor: 1, Precision: 0.1, MaxRuns: 5, SLA: sla}, knee(5), ErrBadSearch},
		{"err/max-below-start", Search{Start: 10, Max: 1, Factor: 2, Precision: 0.1, MaxRuns: 5, SLA: sla}, knee(5), ErrBadSearch},
		{"err/no-runs", Search{Start: 1, Max: 10, Factor: 2, Precision: 0.1, MaxRuns: 0, SLA: sla}, knee(5), ErrBadSearch},
		{"err/negative-retries", Search{Start: 1, Max: 10, Factor: 2, Precision: 0.1, MaxRuns: 5, Retries: -1, SLA: sla}, knee(5), ErrBadSearch},
		{"err/probe-fails", Search{Start: 1, Max: 10, Factor: 2, Precision: 0.1, MaxRuns: 5, SLA: sla},
			func(context.Context, float64) (Measurement, error) { return Measurement{}, boom }, boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.search.Find(context.Background(), tc.probe, nil)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestSLACheck(t *testing.T) {
	t.Parallel()
	sla := SLA{P95: 100 * time.Millisecond, ErrorRate: 0.01}
	tests := []struct {
		name  string
		m     Measurement
		limit Limit
	}{
		{"ok/within", Measurement{Rate: 10, Achieved: 10, Flows: 100, P95: 90 * time.Millisecond}, LimitNone},
		{"err/slow", Measurement{Rate: 10, Achieved: 10, Flows: 100, P95: 101 * time.Millisecond}, LimitLatency},
		{"err/failing", Measurement{Rate: 10, Achieved: 10, Flows: 100, ErrorRate: 0.02}, LimitFailures},
		{"err/dropped-iterations-fast-flows", Measurement{Rate: 10, Achieved: 8, Flows: 80, VUs: 10}, LimitClient},
		{"err/dropped-iterations-slow-flows", Measurement{Rate: 10, Achieved: 8, Flows: 80, P95: time.Second}, LimitLatency},
		{"err/client-cpu", Measurement{Rate: 10, Achieved: 10, Flows: 100, P95: time.Second, Client: "k6 used 2 of 2 CPU cores"}, LimitClient},
		{"err/nothing-completed", Measurement{Rate: 10}, LimitFailures},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, reason := sla.Check(tc.m)
			assert.Equal(t, tc.limit == LimitNone, ok)
			assert.Equal(t, ok, reason == "")
			limit, _ := sla.Classify(tc.m)
			assert.Equal(t, tc.limit, limit, reason)
			if limit == LimitClient {
				assert.Contains(t, reason, "client-limited")
			}
		})
	}
}
