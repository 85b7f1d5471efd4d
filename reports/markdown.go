package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/authflow/authflow/conformance"
)

// maxMarkdownRows caps long lists so the Markdown fits a pull-request
// comment (GitHub allows 65,536 characters).
const maxMarkdownRows = 40

var statusIcon = map[string]string{StatusPass: "✅", StatusWarn: "⚠️", StatusFail: "❌"}

// RenderMarkdown writes the report as GitHub-flavoured Markdown for a CI
// job summary or a pull-request comment. The first line is the verdict.
func RenderMarkdown(w io.Writer, m *Model) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s %s — %s\n\n", statusIcon[m.Verdict.Status], m.Verdict.Status, mdText(m.Title))
	if len(m.Verdict.Reasons) > 1 {
		for _, r := range m.Verdict.Reasons {
			fmt.Fprintf(&b, "- %s\n", mdText(capitalize(r)))
		}
	} else {
		fmt.Fprintf(&b, "%s.\n", mdText(m.Verdict.Headline))
	}
	if r := m.Run; r != nil {
		fmt.Fprintf(&b, "\n**Run** %s · %s · %s HTTP requests (%s, %s failed) · %s flows (%s, %s failed) · HTTP p95 %s · flow p95 %s\n",
			mdCodeList(r.Sources), fmtDuration(r.Duration),
			fmtNum(r.Requests), fmtRate(r.RequestRate), fmtPct(r.HTTPFailRate),
			fmtNum(r.Flows), fmtRate(r.FlowRate), fmtPct(r.FlowFailRate),
			fmtMs(r.HTTPDuration.P95)+mdApprox(r.HTTPDuration), fmtMs(r.FlowDuration.P95)+mdApprox(r.FlowDuration))
		mdFlows(&b, r)
		mdSteps(&b, r)
		mdThresholds(&b, m)
	}
	if c := m.Conformance; c != nil {
		mdConformance(&b, c)
	}
	if c := m.Comparison; c != nil {
		mdComparison(&b, c)
	}
	if len(m.Notes) > 0 {
		b.WriteString("\n<details><summary>Notes</summary>\n\n")
		for _, n := range m.Notes {
			fmt.Fprintf(&b, "- %s\n", mdText(n))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func mdFlows(b *bytes.Buffer, r *RunStats) {
	if len(r.FlowStats) == 0 {
		return
	}
	cols := outcomeCols(r.FlowStats)
	b.WriteString("\n### Flows\n\n| Flow | Flows | Failure rate | p50 | p95 |")
	for _, o := range cols {
		fmt.Fprintf(b, " %s |", outcomeName(o))
	}
	b.WriteString("\n|:--|--:|--:|--:|--:|")
	b.WriteString(strings.Repeat("--:|", len(cols)))
	b.WriteByte('\n')
	for _, f := range r.FlowStats {
		fmt.Fprintf(b, "| %s | %s | %s | %s | **%s** |", mdCell(flowName(f.Flow)), fmtNum(f.Count), fmtPct(f.FailRate),
			fmtMs(f.Duration.P50)+mdApprox(f.Duration), fmtMs(f.Duration.P95)+mdApprox(f.Duration))
		for _, o := range cols {
			c, ok := f.Outcome(o)
			if !ok {
				c = math.NaN()
			}
			fmt.Fprintf(b, " %s |", fmtNum(c))
		}
		b.WriteByte('\n')
	}
}

func mdSteps(b *bytes.Buffer, r *RunStats) {
	if len(r.StepStats) == 0 {
		if r.Breakdown == "" {
			b.WriteString("\n_No per-step numbers: pass the k6 `--out json` file with `--timeseries`._\n")
		}
		return
	}
	b.WriteString("\n### Steps\n\n| Flow | Step | Count | p50 | p95 | p99 | HTTP failed |\n|:--|:--|--:|--:|--:|--:|--:|\n")
	for i, s := range r.StepStats {
		if i == maxMarkdownRows {
			fmt.Fprintf(b, "| … | %d more steps in the HTML report | | | | | |\n", len(r.StepStats)-i)
			break
		}
		a := mdApprox(s.Latency)
		fmt.Fprintf(b, "| %s | %s | %s | %s | **%s** | %s | %s |\n", mdCell(flowName(s.Flow)), mdCell(s.Step), fmtNum(s.Latency.Count),
			fmtMs(s.Latency.P50)+a, fmtMs(s.Latency.P95)+a, fmtMs(s.Latency.P99)+a, fmtPct(s.HTTPFailRate))
	}
	if r.Breakdown == "submetrics" {
		b.WriteString("\n_Only the steps with thresholds in the script; pass `--timeseries` for all._\n")
	}
}

func mdThresholds(b *bytes.Buffer, m *Model) {
	if len(m.Thresholds) == 0 {
		return
	}
	passed := 0
	for _, t := range m.Thresholds {
		if t.OK {
			passed++
		}
	}
	fmt.Fprintf(b, "\n### Thresholds: %d of %d passed\n\n| | Metric | Threshold | Actual |\n|:-:|:--|:--|:--|\n", passed, len(m.Thresholds))
	// Failed ones first.
	for _, wantOK := range []bool{false, true} {
		for _, t := range m.Thresholds {
			if t.OK != wantOK {
				continue
			}
			icon := "✅"
			if !t.OK {
				icon = "❌"
			}
			actual := t.Actual
			if t.Approx {
				actual += " ≈"
			}
			fmt.Fprintf(b, "| %s | `%s` | `%s` | %s |\n", icon, mdCode(t.Metric), mdCode(t.Source), mdCell(actual))
		}
	}
}

func mdConformance(b *bytes.Buffer, c *Conformance) {
	state := "passed"
	if !c.Passed {
		state = "**failed**"
	}
	fmt.Fprintf(b, "\n### Conformance: %s\n\n%d checks: %s", state, len(c.Checks), c.CountsLine())
	if c.Accepted > 0 {
		fmt.Fprintf(b, " · %s accepted by the baseline", plural(c.Accepted, "failure", "failures"))
	}
	if c.Target.BaseURL != "" {
		fmt.Fprintf(b, " · target `%s`", mdCode(c.Target.BaseURL))
	}
	b.WriteString("\n")
	for _, n := range c.Notes {
		fmt.Fprintf(b, "\n- %s", mdText(n))
	}
	if len(c.Notes) > 0 {
		b.WriteString("\n")
	}
	np := c.NotPassed()
	if len(np) == 0 {
		return
	}
	b.WriteString("\n| Verdict | Level | Check | Reason |\n|:--|:--|:--|:--|\n")
	for i, ch := range np {
		if i == maxMarkdownRows {
			fmt.Fprintf(b, "| … | | %d more in the HTML report | |\n", len(np)-i)
			break
		}
		v := string(ch.Verdict)
		if ch.Verdict == conformance.Fail || ch.Verdict == conformance.Error {
			v = "**" + v + "**"
		}
		if ch.Baseline {
			v += " (baseline)"
		}
		fmt.Fprintf(b, "| %s | %s | `%s` %s | %s |\n", v, ch.Level, mdCode(ch.ID), mdCell(ch.Title), mdCell(truncate(ch.Reason, 200)))
	}
}

func mdComparison(b *bytes.Buffer, c *Comparison) {
	fmt.Fprintf(b, "\n### Comparison with the baseline: %s\n\n", c.Headline())
	fmt.Fprintf(b, "Baseline %s vs candidate %s; tolerance %s", mdCodeList([]string{c.Baseline}), mdCodeList([]string{c.Candidate}), fmtPct(c.Tolerance))
	if c.FloorMs > 0 {
		fmt.Fprintf(b, ", floor %s", fmtMs(c.FloorMs))
	}
	if c.RateFloor > 0 {
		fmt.Fprintf(b, ", rate floor %s pp", trimZeros(fmt.Sprintf("%.2f", c.RateFloor*100)))
	}
	fmt.Fprintf(b, "; %s", c.Method())
	if c.Tested > 0 {
		fmt.Fprintf(b, "; significant when p < %s", trimZeros(fmt.Sprintf("%.3f", c.Alpha)))
	}
	b.WriteString(".\n")
	var rows []Delta
	for _, d := range c.Rows {
		if d.Regressed || d.Improved || (d.Stat == "p95" && d.Scope != "step") {
			rows = append(rows, d)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n| | Name | Stat | Baseline | Candidate | Change | p |\n|:-:|:--|:--|--:|--:|--:|--:|\n")
	for _, wantReg := range []bool{true, false} {
		for _, d := range rows {
			if d.Regressed != wantReg {
				continue
			}
			icon := ""
			switch {
			case d.Regressed:
				icon = "🔺"
			case d.Improved:
				icon = "🔹"
			}
			approx := ""
			if d.Approx {
				approx = " ≈"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s%s | %s | %s |\n", icon, mdCell(d.Name), d.Stat, fmtStat(d.Base, d.Unit), fmtStat(d.Cand, d.Unit), approx, fmtDelta(d), fmtP(d.PValue))
		}
	}
	b.WriteString("\n🔺 regression · 🔹 improvement: significant, beyond the tolerance and the floor · p: the test's p-value, – for aggregates\n")
}

func mdApprox(s Stats) string {
	if s.Approx {
		return " ≈"
	}
	return ""
}

var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "*", `\*`, "_", `\_`, "`", "\\`",
	"[", `\[`, "]", `\]`, "\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes text for Markdown: no HTML, emphasis or links get through.
func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	if s == "" {
		return ""
	}
	return mdText(s)
}

// mdCode makes s safe inside a single-backtick code span in a table.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func mdCodeList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + mdCode(s) + "`"
	}
	return strings.Join(out, " + ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
