package reports

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// companions maps a Trend to the Counter that counts its samples, for
// weighting when the Trend has no "count" stat.
var companions = map[string]string{
	"http_req_duration":        "http_reqs",
	"http_req_waiting":         "http_reqs",
	"http_req_blocked":         "http_reqs",
	"http_req_connecting":      "http_reqs",
	"http_req_tls_handshaking": "http_reqs",
	"http_req_sending":         "http_reqs",
	"http_req_receiving":       "http_reqs",
	"authflow_flow_duration":   "authflow_flows",
	"iteration_duration":       "iterations",
}

// MergeSummaries combines the summaries of the processes of one run split
// with k6 execution segments into the summary one process would have
// written. ts, when not nil, is the time series of all the processes; Trends
// are then recomputed exactly from it. See the package documentation for
// what is exact and what is estimated without it.
func MergeSummaries(parts []*Summary, ts *TimeSeries) (*Summary, error) {
	switch len(parts) {
	case 0:
		return nil, fmt.Errorf("no summaries to merge")
	case 1:
		return parts[0], nil
	}
	out := &Summary{Format: "merged", Metrics: map[string]*Metric{}, Parts: parts}
	var names []string
	for _, p := range parts {
		names = append(names, p.Source)
		if p.Duration > out.Duration {
			out.Duration = p.Duration
		}
		out.Notes = append(out.Notes, p.Notes...)
	}
	out.Source = strings.Join(names, " + ")

	all := map[string]bool{}
	for _, p := range parts {
		for n := range p.Metrics {
			all[n] = true
		}
	}
	var approx []string
	for _, name := range sortedKeys(all) {
		var ms []*Metric
		var owners []*Summary
		for _, p := range parts {
			if m := p.Metrics[name]; m != nil {
				ms = append(ms, m)
				owners = append(owners, p)
			}
		}
		for _, m := range ms[1:] {
			if m.Type != ms[0].Type {
				return nil, fmt.Errorf("metric %q is a %s in %s but a %s in %s; were these summaries from one run?",
					name, ms[0].Type, owners[0].Source, m.Type, owners[len(owners)-1].Source)
			}
		}
		m := &Metric{Name: name, Base: ms[0].Base, Tags: ms[0].Tags, Type: ms[0].Type, Contains: ms[0].Contains, Values: map[string]float64{}}
		switch m.Type {
		case Counter:
			var count, rate float64
			for _, x := range ms {
				count += x.Values["count"]
				rate += x.Values["rate"]
			}
			m.Values["count"] = count
			if out.Duration > 0 {
				rate = count / out.Duration.Seconds()
			}
			m.Values["rate"] = rate
		case Rate:
			var passes, fails float64
			for _, x := range ms {
				passes += x.Values["passes"]
				fails += x.Values["fails"]
			}
			m.Values["passes"], m.Values["fails"] = passes, fails
			if passes+fails > 0 {
				m.Values["rate"] = passes / (passes + fails)
			} else {
				m.Values["rate"] = 0
			}
		case Gauge:
			// vus and vus_max, the gauges in play, add up across processes.
			for _, x := range ms {
				for _, k := range []string{"value", "min", "max"} {
					if v, ok := x.Values[k]; ok {
						m.Values[k] += v
					}
				}
			}
		case Trend:
			if mergeTrendExact(m, ms, ts) {
				break
			}
			mergeTrendApprox(m, ms, owners)
			if m.Approx {
				approx = append(approx, name)
			}
		}
		m.Thresholds = mergeThresholds(m, ms)
		out.Metrics[name] = m
	}
	if len(approx) > 0 {
		names := strings.Join(approx, ", ")
		if len(approx) > 4 {
			names = strings.Join(approx[:4], ", ") + fmt.Sprintf(" and %d more", len(approx)-4)
		}
		why := "without their time series"
		if ts != nil {
			why = "that the time series does not hold"
		}
		out.Notes = append(out.Notes, fmt.Sprintf(
			"%d Trend metrics (%s) merged from %d summaries %s: min, max and avg are exact, the median and percentiles (marked ≈) are count-weighted means of each part's, an estimate. Pass the --out json files with --timeseries for exact values.",
			len(approx), names, len(parts), why))
	}
	out.Checks = mergeChecks(parts)
	return out, nil
}

func statKeys(ms []*Metric) []string {
	keys := map[string]bool{}
	for _, x := range ms {
		for k := range x.Values {
			keys[k] = true
		}
	}
	return sortedKeys(keys)
}

func mergeTrendExact(m *Metric, ms []*Metric, ts *TimeSeries) bool {
	if ts == nil {
		return false
	}
	values, kept := ts.Values(m.Base, m.Tags)
	if !kept || len(values) == 0 {
		return false
	}
	var pcts []float64
	keys := statKeys(ms)
	for _, k := range keys {
		if p, ok := parsePKey(k); ok {
			pcts = append(pcts, p)
		}
	}
	stats := TrendStats(values, pcts...)
	for _, k := range keys {
		if v, ok := stats[k]; ok {
			m.Values[k] = v
		}
	}
	m.Exact = true
	return true
}

func mergeTrendApprox(m *Metric, ms []*Metric, owners []*Summary) {
	weights := make([]float64, len(ms))
	weighted := true
	for i, x := range ms {
		if c, ok := x.Values["count"]; ok {
			weights[i] = c
			continue
		}
		if cn, ok := companions[x.Base]; ok {
			if c := owners[i].Find(cn, x.Tags); c != nil {
				weights[i] = c.Values["count"]
				continue
			}
		}
		weighted = false
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if !weighted || total == 0 {
		for i := range weights {
			weights[i] = 1
		}
	}
	for _, k := range statKeys(ms) {
		switch k {
		case "min", "max":
			first := true
			for _, x := range ms {
				v, ok := x.Values[k]
				if !ok {
					continue
				}
				if first || (k == "min" && v < m.Values[k]) || (k == "max" && v > m.Values[k]) {
					m.Values[k] = v
				}
				first = false
			}
		case "count":
			for _, x := range ms {
				m.Values[k] += x.Values[k]
			}
		default: // avg, med, p(N): weighted mean
			sum, wsum := 0.0, 0.0
			for i, x := range ms {
				if v, ok := x.Values[k]; ok {
					sum += v * weights[i]
					wsum += weights[i]
				}
			}
			if wsum > 0 {
				m.Values[k] = sum / wsum
			}
			if k != "avg" || !weighted {
				m.Approx = true
			}
		}
	}
}

// Find returns the metric or submetric of base with exactly the selector
// tags (in any order), or nil.
func (s *Summary) Find(base string, tags map[string]string) *Metric {
	if m := s.Metrics[base]; len(tags) == 0 && m != nil {
		return m
	}
	for _, name := range sortedKeys(s.Metrics) {
		m := s.Metrics[name]
		if m.Base == base && len(m.Tags) == len(tags) && matches(m.Tags, tags) {
			return m
		}
	}
	return nil
}

func mergeThresholds(m *Metric, ms []*Metric) []Threshold {
	srcs := map[string]bool{}
	okAll := map[string]bool{}
	for _, x := range ms {
		for _, t := range x.Thresholds {
			if _, seen := srcs[t.Source]; !seen {
				okAll[t.Source] = true
			}
			srcs[t.Source] = true
			okAll[t.Source] = okAll[t.Source] && t.OK
		}
	}
	var out []Threshold
	for _, src := range sortedKeys(srcs) {
		if ok, evaluable := EvalThreshold(src, m.Values); evaluable {
			out = append(out, Threshold{Source: src, OK: ok, Reevaluated: true})
		} else {
			out = append(out, Threshold{Source: src, OK: okAll[src]})
		}
	}
	return out
}

var thresholdRE = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|value|p\(\s*[0-9.]+\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$`)

// EvalThreshold evaluates a k6 threshold expression of the form
// "stat op number" against metric values; evaluable is false for anything
// else or when the stat is missing.
func EvalThreshold(src string, values map[string]float64) (ok, evaluable bool) {
	mm := thresholdRE.FindStringSubmatch(src)
	if mm == nil {
		return false, false
	}
	key := strings.ReplaceAll(mm[1], " ", "")
	if p, isP := parsePKey(key); isP {
		key = pKey(p)
	}
	v, has := values[key]
	if !has {
		return false, false
	}
	want, err := strconv.ParseFloat(mm[3], 64)
	if err != nil {
		return false, false
	}
	switch mm[2] {
	case "<":
		return v < want, true
	case "<=":
		return v <= want, true
	case ">":
		return v > want, true
	case ">=":
		return v >= want, true
	case "==", "===":
		return v == want, true
	case "!=":
		return v != want, true
	}
	return false, false
}

func parsePKey(k string) (float64, bool) {
	if !strings.HasPrefix(k, "p(") || !strings.HasSuffix(k, ")") {
		return 0, false
	}
	p, err := strconv.ParseFloat(k[2:len(k)-1], 64)
	if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
		return 0, false
	}
	return p, true
}

func mergeChecks(parts []*Summary) []Check {
	idx := map[string]int{}
	var out []Check
	for _, p := range parts {
		for _, c := range p.Checks {
			key := c.Path
			if key == "" {
				key = "::" + c.Name
			}
			if i, ok := idx[key]; ok {
				out[i].Passes += c.Passes
				out[i].Fails += c.Fails
				continue
			}
			idx[key] = len(out)
			out = append(out, c)
		}
	}
	return out
}
