package capacity

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authflow/authflow/reports"
)

//go:embed measure.js
var wrapperJS string

// PhaseTag is the tag the wrapper sets on every sample: "warmup" or "measured".
const PhaseTag = "authflow_phase"

// WriteWrapper writes the k6 script that runs scenario with a warm-up
// (measure.js) into dir and returns its path. The scenario's relative
// imports keep working: k6 resolves them from the scenario's own file.
func WriteWrapper(dir, scenario string) (string, error) {
	abs, err := filepath.Abs(scenario)
	if err != nil {
		return "", fmt.Errorf("capacity: the scenario's path: %w", err)
	}
	quoted, err := json.Marshal(filepath.ToSlash(abs))
	if err != nil {
		return "", fmt.Errorf("capacity: the scenario's path: %w", err)
	}
	js := strings.Replace(wrapperJS, "'SCENARIO'", string(quoted), 1)
	path := filepath.Join(dir, "capacity-run.js")
	if err := os.WriteFile(path, []byte(js), 0o600); err != nil {
		return "", fmt.Errorf("capacity: writing the run script: %w", err)
	}
	return path, nil
}

// WrapperEnv is the environment the wrapper reads.
func WrapperEnv(flow string, warmup time.Duration, summary string) []string {
	return []string{
		"AUTHFLOW_CAPACITY_FLOW=" + flow,
		fmt.Sprintf("AUTHFLOW_CAPACITY_WARMUP_MS=%d", warmup.Milliseconds()),
		"AUTHFLOW_CAPACITY_SUMMARY=" + summary,
	}
}

// SummaryTrendStats is the --summary-trend-stats the measurement needs.
const SummaryTrendStats = "avg,min,med,max,p(90),p(95),count"

// Measure reads the measured window of one run from the summary the
// wrapper wrote (raw, named name in messages): the flow's p95 and failure
// share over the flows started after the warm-up, and the rate at which
// iterations started then (window is the measured part of the run): of
// every arrival-rate scenario, the share of its rate that started, the
// lowest share applied to rate. Dropped iterations are those of the whole
// run: k6 does not tag them with the phase.
func Measure(raw []byte, name, flow string, rate float64, window time.Duration) (Measurement, error) {
	m := Measurement{Rate: rate}
	s, err := reports.ParseSummary(raw, name)
	if err != nil {
		return m, err
	}
	var extra struct {
		Capacity struct {
			RatePerS map[string]float64 `json:"rate_per_s"`
		} `json:"authflow_capacity"`
	}
	_ = json.Unmarshal(raw, &extra) // absent: every iteration counts toward rate
	sel := "{" + PhaseTag + ":measured,flow:" + flow + "}"
	dur, ok := s.Metrics["authflow_flow_duration"+sel]
	if !ok {
		return m, fmt.Errorf("the run measured no %s flow after the warm-up: does the scenario run the flow %q?", flow, flow)
	}
	p95, _ := dur.Value("p(95)")
	count, _ := dur.Value("count")
	m.P95 = time.Duration(p95 * float64(time.Millisecond))
	m.Flows = int64(count)
	if failed, ok := s.Metrics["authflow_flow_failed"+sel]; ok {
		m.ErrorRate, _ = failed.Value("rate")
	}
	if window > 0 {
		m.Achieved = achieved(s, extra.Capacity.RatePerS, rate, window.Seconds())
	}
	dropped, _ := s.Metrics["dropped_iterations"].Value("count")
	m.Dropped = int64(dropped)
	return m, nil
}

// achieved is the rate at which measured iterations started, scaled to
// rate by the scenario that fell furthest behind its own rate.
func achieved(s *reports.Summary, ratePerS map[string]float64, rate, window float64) float64 {
	share := math.Inf(1)
	for name, r := range ratePerS {
		if r > 0 {
			n, _ := s.Metrics["iterations{"+PhaseTag+":measured,scenario:"+name+"}"].Value("count")
			share = math.Min(share, n/window/r)
		}
	}
	if !math.IsInf(share, 1) {
		return rate * share
	}
	iters, _ := s.Metrics["iterations{"+PhaseTag+":measured}"].Value("count")
	return iters / window
}
