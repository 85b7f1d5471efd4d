package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/authflow/authflow/conformance"
)

// Input is everything a report is built from.
type Input struct {
	Title string
	// Runs are the summaries of the run reported on: one, or the parts of
	// a run split with k6 execution segments (merged).
	Runs []*Summary
	// TimeSeries is the time series of Runs (all parts), or nil.
	TimeSeries *TimeSeries
	// Baseline are the summaries of a run to compare against, or nil.
	Baseline           []*Summary
	BaselineTimeSeries *TimeSeries
	Conformance        *conformance.Report
	ConformanceSource  string
}

// Options tune the comparison and the verdict.
type Options struct {
	// Tolerance is how much worse, relative to the baseline, a candidate
	// may be before it is a regression: 0.10 is 10%.
	Tolerance float64
	// FloorMs is the absolute latency change in milliseconds below which no
	// change is a regression (so 1 ms -> 2 ms is not).
	FloorMs float64
	// RateFloor is the same for failure rates, as a fraction: 0.005 is half
	// a percentage point.
	RateFloor float64
	// Alpha is the p-value under which a change between the samples of two
	// runs is significant; zero means DefaultAlpha. Without samples (end-of-
	// test summaries only) no test can be made, and the tolerance and the
	// floors alone decide.
	Alpha float64
	// FailOnRegression makes a regression fail the verdict; otherwise it is
	// a warning.
	FailOnRegression bool
	// Generated is the time shown as the report's generation time; zero
	// shows none (golden tests).
	Generated time.Time
	// Bucket is the width of the buckets of the charts over time; zero
	// picks one from the run duration.
	Bucket time.Duration
}

// Verdict statuses.
const (
	StatusPass = "PASS"
	StatusWarn = "WARN"
	StatusFail = "FAIL"
)

// Model is a report, ready to render.
type Model struct {
	Title       string
	Generated   time.Time
	Verdict     Verdict
	Run         *RunStats
	Baseline    *RunStats // nil without a baseline
	Thresholds  []ThresholdResult
	Checks      []Check // k6 checks of the run
	Conformance *Conformance
	Comparison  *Comparison
	Notes       []string
	Options     Options
}

// Verdict is the one-line answer: did it pass?
type Verdict struct {
	Status   string // StatusPass, StatusWarn or StatusFail
	Headline string
	Reasons  []string // why not PASS, most serious first
}

// Stats are trend statistics in the metric's unit (ms for durations);
// NaN means unknown.
type Stats struct {
	Count, Avg, Min, P50, P90, P95, P99, Max float64
	// Approx marks the median and percentiles as estimates (merge).
	Approx bool
}

func unknownStats() Stats {
	n := math.NaN()
	return Stats{n, n, n, n, n, n, n, n, false}
}

// RunStats are the numbers of one run.
type RunStats struct {
	Label    string
	Sources  []string
	Format   string
	Duration time.Duration
	Parts    int // summaries merged

	Requests, RequestRate float64
	HTTPFailRate          float64
	Flows, FlowRate       float64
	FlowFailRate          float64
	HTTPDuration          Stats
	FlowDuration          Stats
	ChecksPassed          int64
	ChecksTotal           int64

	FlowStats []FlowStats
	StepStats []StepStats
	// Breakdown says where FlowStats and StepStats come from:
	// "timeseries", "submetrics" or "" (none).
	Breakdown         string
	HasTimeSeries     bool
	TimeSeriesSources []string
	Timeline          *Timeline

	// samples and counts are what the comparison tests (significance.go).
	samples map[string]blocks
	counts  map[string]proportion
}

// FlowStats are the numbers of one flow.
type FlowStats struct {
	Flow     string
	Count    float64 // NaN if unknown
	Outcomes []OutcomeCount
	// OutcomesComplete is set when Outcomes account for every flow run.
	OutcomesComplete bool
	FailRate         float64
	Duration         Stats
}

// OutcomeCount is how many flows ended with an outcome.
type OutcomeCount struct {
	Outcome string
	Count   float64
}

// Outcome returns the count of one outcome and whether it is known.
func (f FlowStats) Outcome(name string) (float64, bool) {
	for _, o := range f.Outcomes {
		if o.Outcome == name {
			return o.Count, true
		}
	}
	if f.OutcomesComplete {
		return 0, true
	}
	return 0, false
}

// StepStats are the numbers of one step of one flow.
type StepStats struct {
	Flow, Step   string
	Latency      Stats
	Metric       string // the Trend the latency is from
	Requests     float64
	HTTPFailRate float64
}

// Key names a step as "flow › step".
func (s StepStats) Key() string { return stepKey(s.Flow, s.Step) }

func stepKey(flow, step string) string {
	if flow == "" {
		flow = "(any flow)"
	}
	return flow + " › " + step
}

// ThresholdResult is one k6 threshold.
type ThresholdResult struct {
	Metric      string
	Source      string
	OK          bool
	Actual      string // the value the threshold looked at, formatted
	Reevaluated bool   // computed from merged values
	Approx      bool   // ... which are estimates
}

// Timeline is the run over time.
type Timeline struct {
	Bucket time.Duration
	Points []TimePoint
}

// TimePoint is one bucket; rates per second, fail rates as fractions,
// latencies in ms; NaN when the bucket had none.
type TimePoint struct {
	Offset                     time.Duration
	ReqRate, FlowRate          float64
	HTTPFailRate, FlowFailRate float64
	P50, P95                   float64
}

// Outcomes of a flow in display order; others follow alphabetically.
var Outcomes = []string{"success", "lockout", "otp_rejected", "rate_limited", "rejected", "failure"}

// Build assembles a report model.
func Build(in Input, opt Options) (*Model, error) {
	if len(in.Runs) == 0 && in.Conformance == nil {
		return nil, fmt.Errorf("nothing to report: give at least one summary or a conformance report")
	}
	m := &Model{Title: in.Title, Generated: opt.Generated, Options: opt}
	if m.Title == "" {
		m.Title = "authflow report"
	}
	if len(in.Runs) > 0 {
		merged, err := MergeSummaries(in.Runs, in.TimeSeries)
		if err != nil {
			return nil, err
		}
		m.Run = runStats(merged, in.TimeSeries, opt)
		m.Notes = append(m.Notes, merged.Notes...)
		m.Thresholds = thresholds(merged)
		m.Checks = merged.Checks
		if in.TimeSeries != nil {
			m.Notes = append(m.Notes, in.TimeSeries.Notes...)
		}
	}
	if len(in.Baseline) > 0 {
		if m.Run == nil {
			return nil, fmt.Errorf("a baseline needs a run to compare with: give --summary too")
		}
		merged, err := MergeSummaries(in.Baseline, in.BaselineTimeSeries)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		m.Baseline = runStats(merged, in.BaselineTimeSeries, opt)
		m.Comparison = Compare(m.Baseline, m.Run, opt)
		if m.Comparison.Tested == 0 {
			m.Notes = append(m.Notes, "The comparison with the baseline is of aggregates (no time series of both runs, so no samples): "+
				"no significance test of the latencies was possible; only changes beyond the tolerance and the floor count. "+
				"Give --timeseries and --baseline-timeseries to compare the samples.")
		}
		if m.Run.Breakdown != m.Baseline.Breakdown && m.Run.Breakdown != "" && m.Baseline.Breakdown != "" {
			m.Notes = append(m.Notes, fmt.Sprintf("The baseline's per-step numbers come from %s, the candidate's from %s; only the steps both have are compared.", m.Baseline.Breakdown, m.Run.Breakdown))
		}
	}
	if in.Conformance != nil {
		m.Conformance = buildConformance(in.Conformance, in.ConformanceSource)
	}
	m.Verdict = verdict(m)
	m.Notes = dedupe(m.Notes)
	return m, nil
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func val(s *Summary, name, key string) float64 {
	if m := s.Metrics[name]; m != nil {
		if v, ok := m.Values[key]; ok {
			return v
		}
	}
	return math.NaN()
}

func statsOf(m *Metric) Stats {
	st := unknownStats()
	if m == nil {
		return st
	}
	get := func(keys ...string) float64 {
		for _, k := range keys {
			if v, ok := m.Values[k]; ok {
				return v
			}
		}
		return math.NaN()
	}
	st.Count = get("count")
	st.Avg = get("avg")
	st.Min = get("min")
	st.P50 = get("med", "p(50)")
	st.P90 = get("p(90)")
	st.P95 = get("p(95)")
	st.P99 = get("p(99)")
	st.Max = get("max")
	st.Approx = m.Approx
	return st
}

func statsFromValues(values []float64) Stats {
	if len(values) == 0 {
		return unknownStats()
	}
	v := TrendStats(append([]float64(nil), values...), 90, 95, 99)
	return Stats{Count: v["count"], Avg: v["avg"], Min: v["min"], P50: v["med"], P90: v["p(90)"], P95: v["p(95)"], P99: v["p(99)"], Max: v["max"]}
}

func runStats(s *Summary, ts *TimeSeries, opt Options) *RunStats {
	r := &RunStats{
		Label:        s.Source,
		Format:       s.Format,
		Duration:     s.Duration,
		Parts:        max(1, len(s.Parts)),
		Requests:     val(s, "http_reqs", "count"),
		RequestRate:  val(s, "http_reqs", "rate"),
		HTTPFailRate: val(s, "http_req_failed", "rate"),
		Flows:        val(s, "authflow_flows", "count"),
		FlowRate:     val(s, "authflow_flows", "rate"),
		FlowFailRate: val(s, "authflow_flow_failed", "rate"),
		HTTPDuration: statsOf(s.Metrics["http_req_duration"]),
		FlowDuration: statsOf(s.Metrics["authflow_flow_duration"]),
	}
	if len(s.Parts) > 0 {
		for _, p := range s.Parts {
			r.Sources = append(r.Sources, p.Source)
		}
	} else {
		r.Sources = []string{s.Source}
	}
	for _, c := range s.Checks {
		r.ChecksPassed += c.Passes
		r.ChecksTotal += c.Passes + c.Fails
	}
	if ts != nil {
		r.HasTimeSeries = true
		r.TimeSeriesSources = ts.Sources
		r.Breakdown = "timeseries"
		r.FlowStats = flowsFromSeries(ts)
		r.StepStats = stepsFromSeries(ts)
		r.Timeline = timeline(ts, opt.Bucket)
		// The summary lacks p(99) unless summaryTrendStats asks for it.
		if v, kept := ts.Values("http_req_duration", nil); kept && len(v) > 0 && math.IsNaN(r.HTTPDuration.P99) {
			r.HTTPDuration.P99 = statsFromValues(v).P99
		}
		if v, kept := ts.Values("authflow_flow_duration", nil); kept && len(v) > 0 && math.IsNaN(r.FlowDuration.P99) {
			r.FlowDuration.P99 = statsFromValues(v).P99
		}
		r.collectSamples(ts)
	} else {
		r.FlowStats = flowsFromSubmetrics(s)
		r.StepStats = stepsFromSubmetrics(s)
		if len(r.FlowStats) > 0 || len(r.StepStats) > 0 {
			r.Breakdown = "submetrics"
		}
		r.collectCounts(s)
	}
	return r
}

func sortOutcomes(os []OutcomeCount) {
	rank := func(o string) int {
		for i, x := range Outcomes {
			if x == o {
				return i
			}
		}
		return len(Outcomes)
	}
	sort.Slice(os, func(i, j int) bool {
		ri, rj := rank(os[i].Outcome), rank(os[j].Outcome)
		if ri != rj {
			return ri < rj
		}
		return os[i].Outcome < os[j].Outcome
	})
}

func flowsFromSeries(ts *TimeSeries) []FlowStats {
	names := map[string]bool{}
	for _, metric := range []string{"authflow_flows", "authflow_flow_duration", "authflow_flow_failed"} {
		for _, t := range ts.TagValues(metric, "flow") {
			names[t[0]] = true
		}
	}
	var out []FlowStats
	for _, flow := range sortedKeys(names) {
		sel := map[string]string{"flow": flow}
		f := FlowStats{Flow: flow, Count: math.NaN(), FailRate: math.NaN(), Duration: unknownStats()}
		if ts.Has("authflow_flows") {
			count, _ := ts.Sum("authflow_flows", sel)
			f.Count = count
			for _, t := range ts.TagValues("authflow_flows", "flow", "outcome") {
				if t[0] != flow {
					continue
				}
				c, _ := ts.Sum("authflow_flows", map[string]string{"flow": flow, "outcome": t[1]})
				f.Outcomes = append(f.Outcomes, OutcomeCount{t[1], c})
			}
			sortOutcomes(f.Outcomes)
			f.OutcomesComplete = true
		}
		if trues, n := ts.Sum("authflow_flow_failed", sel); n > 0 {
			f.FailRate = trues / float64(n)
		} else if c, ok := f.Outcome("failure"); ok && f.Count > 0 {
			f.FailRate = c / f.Count
		}
		if v, kept := ts.Values("authflow_flow_duration", sel); kept {
			f.Duration = statsFromValues(v)
		}
		out = append(out, f)
	}
	return out
}

func stepsFromSeries(ts *TimeSeries) []StepStats {
	type key struct{ flow, step string }
	keys := map[key]bool{}
	for _, metric := range []string{"authflow_step_duration", "http_req_duration"} {
		for _, t := range ts.TagValues(metric, "flow", "step") {
			keys[key{t[0], t[1]}] = true
		}
	}
	var out []StepStats
	first := map[key]time.Time{}
	for k := range keys {
		sel := map[string]string{"flow": k.flow, "step": k.step}
		st := StepStats{Flow: k.flow, Step: k.step, Latency: unknownStats(), HTTPFailRate: math.NaN(), Requests: math.NaN()}
		for _, metric := range []string{"authflow_step_duration", "http_req_duration"} {
			if v, kept := ts.Values(metric, sel); kept && len(v) > 0 {
				st.Latency, st.Metric = statsFromValues(v), metric
				first[k] = ts.FirstSeen(metric, sel)
				break
			}
		}
		if c, n := ts.Sum("http_reqs", sel); n > 0 {
			st.Requests = c
		}
		if trues, n := ts.Sum("http_req_failed", sel); n > 0 {
			st.HTTPFailRate = trues / float64(n)
		}
		out = append(out, st)
	}
	flowFirst := map[string]time.Time{}
	for k, t := range first {
		if f, ok := flowFirst[k.flow]; !ok || t.Before(f) {
			flowFirst[k.flow] = t
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Flow != b.Flow {
			return a.Flow < b.Flow
		}
		ta, tb := first[key{a.Flow, a.Step}], first[key{b.Flow, b.Step}]
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return a.Step < b.Step
	})
	return out
}

// onlyKeys reports whether tags has exactly the given keys.
func onlyKeys(tags map[string]string, keys ...string) bool {
	if len(tags) != len(keys) {
		return false
	}
	for _, k := range keys {
		if _, ok := tags[k]; !ok {
			return false
		}
	}
	return true
}

func flowsFromSubmetrics(s *Summary) []FlowStats {
	byFlow := map[string]*FlowStats{}
	get := func(flow string) *FlowStats {
		f := byFlow[flow]
		if f == nil {
			f = &FlowStats{Flow: flow, Count: math.NaN(), FailRate: math.NaN(), Duration: unknownStats()}
			byFlow[flow] = f
		}
		return f
	}
	for _, name := range sortedKeys(s.Metrics) {
		m := s.Metrics[name]
		switch {
		case m.Base == "authflow_flows" && onlyKeys(m.Tags, "flow"):
			get(m.Tags["flow"]).Count = m.Values["count"]
		case m.Base == "authflow_flows" && onlyKeys(m.Tags, "flow", "outcome"):
			f := get(m.Tags["flow"])
			f.Outcomes = append(f.Outcomes, OutcomeCount{m.Tags["outcome"], m.Values["count"]})
		case m.Base == "authflow_flow_failed" && onlyKeys(m.Tags, "flow"):
			get(m.Tags["flow"]).FailRate = m.Values["rate"]
		case m.Base == "authflow_flow_duration" && onlyKeys(m.Tags, "flow"):
			get(m.Tags["flow"]).Duration = statsOf(m)
		}
	}
	var out []FlowStats
	for _, flow := range sortedKeys(byFlow) {
		f := byFlow[flow]
		sortOutcomes(f.Outcomes)
		sum := 0.0
		for _, o := range f.Outcomes {
			sum += o.Count
		}
		f.OutcomesComplete = len(f.Outcomes) > 0 && !math.IsNaN(f.Count) && sum == f.Count
		if math.IsNaN(f.Count) && !math.IsNaN(f.Duration.Count) {
			f.Count = f.Duration.Count
		}
		out = append(out, *f)
	}
	return out
}

func stepsFromSubmetrics(s *Summary) []StepStats {
	type key struct{ flow, step string }
	steps := map[key]*StepStats{}
	get := func(k key) *StepStats {
		st := steps[k]
		if st == nil {
			st = &StepStats{Flow: k.flow, Step: k.step, Latency: unknownStats(), HTTPFailRate: math.NaN(), Requests: math.NaN()}
			steps[k] = st
		}
		return st
	}
	stepOf := func(m *Metric) (key, bool) {
		if onlyKeys(m.Tags, "flow", "step") || onlyKeys(m.Tags, "step") {
			return key{m.Tags["flow"], m.Tags["step"]}, true
		}
		return key{}, false
	}
	// authflow_step_duration wins over http_req_duration: sort puts it first.
	for _, name := range sortedKeys(s.Metrics) {
		m := s.Metrics[name]
		k, ok := stepOf(m)
		if !ok {
			continue
		}
		switch m.Base {
		case "authflow_step_duration", "http_req_duration":
			st := get(k)
			if st.Metric == "" || (st.Metric == "http_req_duration" && m.Base == "authflow_step_duration") {
				st.Latency, st.Metric = statsOf(m), m.Base
			}
		case "http_req_failed":
			get(k).HTTPFailRate = m.Values["rate"]
		case "http_reqs":
			get(k).Requests = m.Values["count"]
		}
	}
	var out []StepStats
	for _, st := range steps {
		if st.Metric != "" || !math.IsNaN(st.HTTPFailRate) {
			out = append(out, *st)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Step < out[j].Step
	})
	return out
}

func niceBucket(d time.Duration) time.Duration {
	target := d / 120
	for _, b := range []time.Duration{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400} {
		if b*time.Second >= target {
			return b * time.Second
		}
	}
	return 86400 * time.Second
}

func timeline(ts *TimeSeries, bucket time.Duration) *Timeline {
	if len(ts.ticks) == 0 {
		return nil
	}
	if bucket <= 0 {
		bucket = niceBucket(ts.Duration())
	}
	bucket = max(bucket.Round(time.Second), time.Second)
	startMs, endMs, bMs := ts.Start.UnixMilli(), ts.End.UnixMilli(), bucket.Milliseconds()
	n := int((endMs-startMs)/bMs) + 1
	aggs := make([]second, n)
	for tick, s := range ts.ticks {
		i := int((tick*tickMs - startMs) / bMs)
		i = min(max(i, 0), n-1)
		a := &aggs[i]
		a.reqs += s.reqs
		a.flows += s.flows
		a.httpFail += s.httpFail
		a.httpTotal += s.httpTotal
		a.flowFail += s.flowFail
		a.flowTotal += s.flowTotal
		a.durations = append(a.durations, s.durations...)
		a.stepDurations = append(a.stepDurations, s.stepDurations...)
	}
	tl := &Timeline{Bucket: bucket}
	for i, agg := range aggs {
		from := startMs + int64(i)*bMs
		// The last bucket may be cut short by the end of the run.
		span := float64(min(bMs, endMs-from+tickMs)) / 1000
		p := TimePoint{Offset: time.Duration(int64(i)*bMs) * time.Millisecond, ReqRate: agg.reqs / span, FlowRate: agg.flows / span}
		p.HTTPFailRate, p.FlowFailRate = ratio(agg.httpFail, agg.httpTotal), ratio(agg.flowFail, agg.flowTotal)
		d := agg.durations
		if len(d) == 0 {
			d = agg.stepDurations
		}
		p.P50, p.P95 = math.NaN(), math.NaN()
		if len(d) > 0 {
			sort.Float64s(d)
			p.P50, p.P95 = Percentile(d, 0.5), Percentile(d, 0.95)
		}
		tl.Points = append(tl.Points, p)
	}
	return tl
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

func thresholds(s *Summary) []ThresholdResult {
	var out []ThresholdResult
	for _, name := range sortedKeys(s.Metrics) {
		m := s.Metrics[name]
		for _, t := range m.Thresholds {
			out = append(out, ThresholdResult{
				Metric: name, Source: t.Source, OK: t.OK,
				Actual:      thresholdActual(m, t.Source),
				Reevaluated: t.Reevaluated,
				Approx:      m.Approx && (strings.Contains(t.Source, "p(") || strings.Contains(t.Source, "med")) && thresholdActual(m, t.Source) != "",
			})
		}
	}
	return out
}

// thresholdActual formats the stat a threshold expression looks at.
func thresholdActual(m *Metric, src string) string {
	mm := thresholdRE.FindStringSubmatch(src)
	if mm == nil {
		return ""
	}
	key := strings.ReplaceAll(mm[1], " ", "")
	if p, ok := parsePKey(key); ok {
		key = pKey(p)
	}
	v, ok := m.Values[key]
	if !ok {
		return ""
	}
	switch {
	case key == "rate" && m.Type == Rate:
		return key + "=" + fmtPct(v)
	case m.Contains == "time":
		return key + "=" + fmtMs(v)
	default:
		return key + "=" + fmtNum(v)
	}
}

func verdict(m *Model) Verdict {
	v := Verdict{Status: StatusPass}
	var good []string
	failedTh := 0
	for _, t := range m.Thresholds {
		if !t.OK {
			failedTh++
		}
	}
	if failedTh > 0 {
		v.Status = StatusFail
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d of %d k6 thresholds failed", failedTh, len(m.Thresholds)))
	} else if len(m.Thresholds) > 0 {
		good = append(good, fmt.Sprintf("all %d k6 thresholds passed", len(m.Thresholds)))
	}
	if c := m.Conformance; c != nil {
		if !c.Passed {
			v.Status = StatusFail
			v.Reasons = append(v.Reasons, fmt.Sprintf("conformance failed: %s", c.CountsLine()))
		} else {
			good = append(good, fmt.Sprintf("conformance passed (%s)", c.CountsLine()))
		}
	}
	if cmp := m.Comparison; cmp != nil {
		if cmp.Regressions > 0 {
			word := "regressions"
			if cmp.Regressions == 1 {
				word = "regression"
			}
			msg := fmt.Sprintf("%d %s vs the baseline", cmp.Regressions, word)
			if m.Options.FailOnRegression {
				v.Status = StatusFail
			} else if v.Status == StatusPass {
				v.Status = StatusWarn
			}
			v.Reasons = append(v.Reasons, msg)
		} else {
			good = append(good, "no significant change vs the baseline")
		}
	}
	if c := m.Conformance; c != nil && c.Passed && c.Counts[conformance.Warn] > 0 && v.Status == StatusPass {
		v.Status = StatusWarn
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d SHOULD conformance checks not met (WARN)", c.Counts[conformance.Warn]))
	}
	switch {
	case len(v.Reasons) > 0:
		v.Headline = capitalize(strings.Join(v.Reasons, "; "))
	case len(good) > 0:
		v.Headline = capitalize(strings.Join(good, ", "))
	default:
		v.Headline = "Nothing failed (no thresholds, conformance results or baseline given)"
	}
	return v
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
