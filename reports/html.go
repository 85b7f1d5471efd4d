package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/authflow/authflow/conformance"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplate string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.js
	reportJS string
)

// maxEvidenceBody is how much of a request or response body the page shows.
const maxEvidenceBody = 4000

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":         fmtMs,
	"pct":        fmtPct,
	"num":        fmtNum,
	"rate":       fmtRate,
	"dur":        fmtDuration,
	"delta":      fmtDelta,
	"stat":       fmtStat,
	"join":       strings.Join,
	"capitalize": capitalize,
	"plural":     plural,
	"flowName":   flowName,
	"pctPoints":  func(v float64) string { return trimZeros(fmt.Sprintf("%.2f", v*100)) + " percentage points" },
	"f":          f1,
	"num0": func(v float64) string {
		if math.IsNaN(v) {
			return "-1e308"
		}
		return fmt.Sprint(v)
	},
	"approx": func(s Stats) template.HTML {
		if s.Approx {
			return `<span class="approx" title="estimated: merged from several summaries without their time series"> ≈</span>`
		}
		return ""
	},
	"statusClass":  func(s string) string { return "st-" + strings.ToLower(s) },
	"verdictClass": func(v conformance.Verdict) string { return "v-" + strings.ToLower(string(v)) },
	"outcomeName":  outcomeName,
	"outcome": func(f FlowStats, o string) float64 {
		if c, ok := f.Outcome(o); ok {
			return c
		}
		return math.NaN()
	},
	"newGroup": func(steps []StepStats, i int) bool { return i > 0 && steps[i].Flow != steps[i-1].Flow },
	"checkRate": func(c Check) float64 {
		return ratio(float64(c.Passes), float64(c.Passes+c.Fails))
	},
	"notPassed": func(c *Conformance) int { return len(c.NotPassed()) },
}).Parse(htmlTemplate))

func flowName(f string) string {
	if f == "" {
		return "(any flow)"
	}
	return f
}

func outcomeName(o string) string {
	switch o {
	case "otp_rejected":
		return "OTP rejected"
	case "rate_limited":
		return "Rate limited"
	}
	return capitalize(strings.ReplaceAll(o, "_", " "))
}

type htmlView struct {
	*Model
	CSS               template.CSS
	JS                template.JS
	CSPMeta           template.HTML
	KPIs              []kpi
	Charts            htmlCharts
	OutcomeCols       []string
	StepMetricNote    string
	ThresholdsPassed  int
	TimeSeriesSources []string
	ConfChecks        []confCheckView
	Verdicts          []conformance.Verdict
}

type htmlCharts struct {
	Latency, Outcomes, FlowDuration, Throughput, LatencyTime, Errors, Conformance, Comparison *Chart
}

type kpi struct{ Label, Value, Sub, Class string }

type confCheckView struct {
	conformance.CheckResult
	Evidence []evidenceView
}

type evidenceView struct {
	conformance.Evidence
	Request, Response string
}

// cspMeta allows the page's own inline style and script, by hash, and
// nothing else: no fetches, fonts, images or frames.
func cspMeta() template.HTML {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return template.HTML(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ` +
		hash(reportCSS) + `; script-src ` + hash(reportJS) + `; img-src data:; base-uri 'none'; form-action 'none'">`)
}

// RenderHTML writes the report as one self-contained HTML page.
func RenderHTML(w io.Writer, m *Model) error {
	v := &htmlView{
		Model: m, CSS: template.CSS(reportCSS), JS: template.JS(reportJS), CSPMeta: cspMeta(),
		Verdicts: Verdicts,
	}
	for _, t := range m.Thresholds {
		if t.OK {
			v.ThresholdsPassed++
		}
	}
	v.KPIs = kpis(m, v.ThresholdsPassed)
	if r := m.Run; r != nil {
		v.StepMetricNote = stepMetricNote(r.StepStats)
		v.OutcomeCols = outcomeCols(r.FlowStats)
		v.Charts.Latency = latencyChart(r)
		v.Charts.Outcomes = outcomesChart(r)
		v.Charts.FlowDuration = flowDurationChart(r)
		if r.Timeline != nil {
			v.Charts.Throughput, v.Charts.LatencyTime, v.Charts.Errors = timelineCharts(r.Timeline)
		}
	}
	if m.Run != nil {
		v.TimeSeriesSources = m.Run.TimeSeriesSources
	}
	if c := m.Conformance; c != nil {
		v.Charts.Conformance = conformanceChart(c)
		for _, ch := range c.Checks {
			cv := confCheckView{CheckResult: ch}
			for _, e := range ch.Evidence {
				cv.Evidence = append(cv.Evidence, evidenceView{
					Evidence: e,
					Request:  exchangeText(e.RequestHeader, e.RequestBody),
					Response: exchangeText(e.ResponseHeader, e.ResponseBody),
				})
			}
			v.ConfChecks = append(v.ConfChecks, cv)
		}
	}
	if m.Comparison != nil {
		v.Charts.Comparison = comparisonChart(m.Comparison)
	}
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("render HTML: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func kpis(m *Model, thPassed int) []kpi {
	var out []kpi
	if r := m.Run; r != nil {
		out = append(out,
			kpi{"Duration", fmtDuration(r.Duration), plural(r.Parts, "process", "processes"), ""},
			kpi{"HTTP requests", fmtNum(r.Requests), fmtRate(r.RequestRate), ""},
			kpi{"HTTP failed", fmtPct(r.HTTPFailRate), "http_req_failed", goodBad(r.HTTPFailRate == 0, r.HTTPFailRate > 0.05)},
			kpi{"HTTP p95", fmtMs(r.HTTPDuration.P95), "p50 " + fmtMs(r.HTTPDuration.P50), ""},
			kpi{"Flows", fmtNum(r.Flows), fmtRate(r.FlowRate), ""},
			kpi{"Flows failed", fmtPct(r.FlowFailRate), "authflow_flow_failed", goodBad(r.FlowFailRate == 0, r.FlowFailRate > 0.05)},
			kpi{"Flow p95", fmtMs(r.FlowDuration.P95), "p50 " + fmtMs(r.FlowDuration.P50), ""},
		)
		if len(m.Thresholds) > 0 {
			out = append(out, kpi{"Thresholds", fmt.Sprintf("%d/%d", thPassed, len(m.Thresholds)), "passed", goodBad(thPassed == len(m.Thresholds), thPassed < len(m.Thresholds))})
		}
		if r.ChecksTotal > 0 {
			rate := float64(r.ChecksPassed) / float64(r.ChecksTotal)
			out = append(out, kpi{"k6 checks", fmtPct(rate), fmt.Sprintf("%s of %s passed", fmtNum(float64(r.ChecksPassed)), fmtNum(float64(r.ChecksTotal))), ""})
		}
	}
	if c := m.Conformance; c != nil {
		out = append(out, kpi{"Conformance", fmt.Sprintf("%d/%d", c.Counts[conformance.Pass], len(c.Checks)), "checks passed", goodBad(c.Passed, !c.Passed)})
	}
	if cmp := m.Comparison; cmp != nil {
		out = append(out, kpi{"Regressions", fmt.Sprint(cmp.Regressions), fmt.Sprintf("%d improvements", cmp.Improvements), goodBad(cmp.Regressions == 0, cmp.Regressions > 0)})
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func goodBad(good, bad bool) string {
	switch {
	case bad:
		return "bad"
	case good:
		return "good"
	}
	return ""
}

func stepMetricNote(steps []StepStats) string {
	used := map[string]bool{}
	for _, s := range steps {
		if s.Metric != "" {
			used[s.Metric] = true
		}
	}
	switch {
	case used["authflow_step_duration"] && used["http_req_duration"]:
		return "authflow_step_duration, or http_req_duration where the step has no step duration"
	case used["http_req_duration"]:
		return "http_req_duration tagged flow and step"
	}
	return "authflow_step_duration"
}

// outcomeCols are the outcome columns of the flow tables: every standard
// outcome when some flow's outcomes are all known, else only those known.
func outcomeCols(flows []FlowStats) []string {
	seen := map[string]bool{}
	complete := false
	for _, f := range flows {
		complete = complete || f.OutcomesComplete
		for _, o := range f.Outcomes {
			seen[o.Outcome] = true
		}
	}
	var cols []string
	for _, o := range Outcomes {
		if complete || seen[o] {
			cols = append(cols, o)
		}
		delete(seen, o)
	}
	return append(cols, sortedKeys(seen)...)
}

func outcomeClass(o string) string {
	for _, x := range Outcomes {
		if x == o {
			return "o-" + o
		}
	}
	return "o-other"
}

func latencyChart(r *RunStats) *Chart {
	var rows []BarRow
	for _, s := range r.StepStats {
		if math.IsNaN(s.Latency.P95) && math.IsNaN(s.Latency.P50) {
			continue
		}
		rows = append(rows, BarRow{Label: s.Key(), Values: []float64{s.Latency.P50, s.Latency.P95, s.Latency.P99}})
	}
	return percentileChart("chart-step-latency", "Step latency percentiles by flow", "Bars: p50, p95 and p99 of each step, in milliseconds.", rows)
}

// percentileChart draws rows of p50, p95 and p99 in milliseconds, without
// the p99 bars when no row has one (k6's default trend stats lack it).
func percentileChart(id, title, note string, rows []BarRow) *Chart {
	if len(rows) == 0 {
		return nil
	}
	series, classes := []string{"p50", "p95", "p99"}, []string{"c-p50", "c-p95", "c-p99"}
	if allNaN(rows, 2) {
		for i := range rows {
			rows[i].Values = rows[i].Values[:2]
		}
		series, classes = series[:2], classes[:2]
	}
	return barChart(id, title, note, series, classes, rows, fmtMsShort, "milliseconds")
}

func allNaN(rows []BarRow, i int) bool {
	for _, r := range rows {
		if i < len(r.Values) && !math.IsNaN(r.Values[i]) {
			return false
		}
	}
	return true
}

func fmtMsShort(v float64) string { return strings.TrimSuffix(fmtMs(v), " ms") }

func outcomesChart(r *RunStats) *Chart {
	var rows []StackRow
	present := map[string]bool{}
	for _, f := range r.FlowStats {
		if !f.OutcomesComplete {
			continue
		}
		row := StackRow{Label: f.Flow}
		for _, o := range f.Outcomes {
			row.Segments = append(row.Segments, Segment{Name: outcomeName(o.Outcome), Value: o.Count, Class: outcomeClass(o.Outcome)})
			if o.Count > 0 {
				present[o.Outcome] = true
			}
		}
		row.Note = "n=" + fmtNum(f.Count)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	var names, classes []string
	for _, o := range outcomeCols(r.FlowStats) {
		if present[o] {
			names = append(names, outcomeName(o))
			classes = append(classes, outcomeClass(o))
		}
	}
	return stackedChart("chart-outcomes", "Outcomes per flow", "Share of each flow's runs by outcome; n is the number of flows run.", names, classes, rows, true)
}

func flowDurationChart(r *RunStats) *Chart {
	var rows []BarRow
	for _, f := range r.FlowStats {
		if math.IsNaN(f.Duration.P95) && math.IsNaN(f.Duration.P50) {
			continue
		}
		rows = append(rows, BarRow{Label: f.Flow, Values: []float64{f.Duration.P50, f.Duration.P95, f.Duration.P99}})
	}
	return percentileChart("chart-flow-duration", "Flow duration percentiles",
		"End-to-end duration of each flow (authflow_flow_duration), in milliseconds.", rows)
}

func timelineCharts(tl *Timeline) (throughput, latency, errs *Chart) {
	xs := make([]float64, len(tl.Points))
	reqs := make([]float64, len(tl.Points))
	flows := make([]float64, len(tl.Points))
	httpFail := make([]float64, len(tl.Points))
	flowFail := make([]float64, len(tl.Points))
	p50 := make([]float64, len(tl.Points))
	p95 := make([]float64, len(tl.Points))
	for i, p := range tl.Points {
		xs[i] = p.Offset.Seconds()
		reqs[i], flows[i] = p.ReqRate, p.FlowRate
		httpFail[i], flowFail[i] = p.HTTPFailRate*100, p.FlowFailRate*100
		p50[i], p95[i] = p.P50, p.P95
	}
	perSec := func(v float64) string { return fmtNum(v) }
	throughput = lineChart("chart-throughput", "Throughput over time", "Requests and flows completed per second.", xs,
		[]LineSeries{{"HTTP requests/s", "l-reqs", reqs}, {"flows/s", "l-flows", flows}}, perSec, "per second")
	if !allNaNs(p95) {
		latency = lineChart("chart-latency-time", "HTTP latency over time", "p50 and p95 of http_req_duration in each bucket, in milliseconds.", xs,
			[]LineSeries{{"p50", "c-p50", p50}, {"p95", "c-p95", p95}}, fmtMsShort, "milliseconds")
	}
	var es []LineSeries
	if !allNaNs(httpFail) {
		es = append(es, LineSeries{"HTTP requests failed", "l-http", httpFail})
	}
	if !allNaNs(flowFail) {
		es = append(es, LineSeries{"flows failed", "l-flow", flowFail})
	}
	if len(es) > 0 {
		errs = lineChart("chart-errors", "Error rate over time", "Share of HTTP requests (http_req_failed) and flows (authflow_flow_failed) that failed in each bucket.", xs,
			es, func(v float64) string { return trimZeros(fmt.Sprintf("%.1f", v)) + "%" }, "percent")
	}
	return throughput, latency, errs
}

func allNaNs(vs []float64) bool {
	for _, v := range vs {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

func conformanceChart(c *Conformance) *Chart {
	if len(c.Checks) == 0 {
		return nil
	}
	var rows []StackRow
	present := map[conformance.Verdict]bool{}
	for _, g := range c.Groups {
		row := StackRow{Label: g.Group}
		if row.Label == "" {
			row.Label = "(no group)"
		}
		for _, v := range Verdicts {
			if n := g.Counts[v]; n > 0 {
				row.Segments = append(row.Segments, Segment{Name: string(v), Value: float64(n), Class: "vc-" + string(v)})
				present[v] = true
			}
		}
		row.Note = fmt.Sprintf("%d checks", g.Total)
		rows = append(rows, row)
	}
	var names, classes []string
	for _, v := range Verdicts {
		if present[v] {
			names = append(names, string(v))
			classes = append(classes, "vc-"+string(v))
		}
	}
	return stackedChart("chart-conformance", "Conformance verdicts by group", "Number of checks per verdict in each group.", names, classes, rows, false)
}

func comparisonChart(c *Comparison) *Chart {
	var rows []BarRow
	for _, d := range c.Rows {
		if d.Stat != "p95" || d.Scope == "overall" {
			continue
		}
		label := d.Name
		if d.Scope == "flow" {
			label = d.Name + " (flow)"
		}
		rows = append(rows, BarRow{Label: label, Values: []float64{d.Base, d.Cand}, Bad: []bool{false, d.Regressed},
			Tips: []string{"baseline p95: " + fmtMs(d.Base), "candidate p95: " + fmtMs(d.Cand) + " (" + fmtDelta(d) + ")"}})
	}
	if len(rows) == 0 {
		for _, d := range c.Rows {
			if d.Stat == "p95" {
				rows = append(rows, BarRow{Label: d.Name, Values: []float64{d.Base, d.Cand}, Bad: []bool{false, d.Regressed}})
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return barChart("chart-comparison", "p95 latency: baseline vs candidate", "Grey: baseline; blue: candidate; red: a regression beyond the tolerance.",
		[]string{"baseline p95", "candidate p95"}, []string{"c-base", "c-cand"}, rows, fmtMsShort, "milliseconds")
}

// exchangeText renders headers and a body for the evidence view; JSON
// bodies are indented, long bodies cut.
func exchangeText(h map[string]string, body string) string {
	var b strings.Builder
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, h[k])
	}
	if body != "" {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		var pretty bytes.Buffer
		if json.Valid([]byte(body)) && json.Indent(&pretty, []byte(body), "", "  ") == nil {
			body = pretty.String()
		}
		if r := []rune(body); len(r) > maxEvidenceBody {
			body = string(r[:maxEvidenceBody]) + fmt.Sprintf("\n… (%d more characters)", len(r)-maxEvidenceBody)
		}
		b.WriteString(body)
	}
	return strings.TrimRight(b.String(), "\n")
}
