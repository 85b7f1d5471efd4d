package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---- the report ----

type stat struct {
	median   float64
	lo, hi   float64
	valid, n int
}

func (s stat) ok() bool { return s.valid > 0 }

func summarize(rs []*runResult, f func(*runResult) (float64, bool)) stat {
	var vals []float64
	for _, r := range rs {
		if !r.valid() {
			continue
		}
		if v, ok := f(r); ok && !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	st := medianOf(vals)
	st.n = len(rs)
	return st
}

// medianOf is the median, min and max of vals.
func medianOf(vals []float64) stat {
	st := stat{n: len(vals), valid: len(vals)}
	if len(vals) == 0 {
		return st
	}
	vals = slices.Sorted(slices.Values(vals))
	m := len(vals) / 2
	st.median = vals[m]
	if len(vals)%2 == 0 {
		st.median = (vals[m-1] + vals[m]) / 2
	}
	st.lo, st.hi = vals[0], vals[len(vals)-1]
	return st
}

func (h *harness) pick(v string, ph phase) []*runResult {
	var out []*runResult
	for _, r := range h.results {
		if r.spec.variant == v && r.spec.phase == ph {
			out = append(out, r)
		}
	}
	return out
}

// loadRange is the first and last load average of the runs, and the highest.
func (h *harness) loadRange() (first, last, highest float64) {
	if len(h.results) == 0 {
		return
	}
	first, last = h.results[0].load1[0], h.results[len(h.results)-1].load1[1]
	for _, r := range h.results {
		highest = max(highest, r.load1[0], r.load1[1])
	}
	return
}

// netCPU is the CPU per flow of a CPU run minus its base run.
func (h *harness) netCPU(r *runResult) (float64, bool) {
	for _, b := range h.results {
		if b.spec.phase == phaseBase && b.spec.variant == r.spec.variant && b.spec.rep == r.spec.rep {
			if !b.valid() {
				return 0, false
			}
			return float64((r.cpu() - b.cpu()).Microseconds()) / float64(r.flows-b.flows), true
		}
	}
	return 0, false
}

// report is the Markdown report of the runs: the header, the table of
// measures with the ratios and targets, the notes, the invalid and capped
// runs, the profiles and every run.
func (h *harness) report(total time.Duration) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	h.reportHeader(w, total)
	h.reportTable(w)
	h.reportNotes(w)
	h.reportProblems(w)
	h.profileReport(w)
	h.reportRuns(w)
	return b.String()
}

// reportHeader writes the title, the command, the machine and the runs.
func (h *harness) reportHeader(w func(string, ...any), total time.Duration) {
	c := h.cfg
	host, _ := os.Hostname()
	w("## k6 comparison: sign-in + Google TOTP (4 requests), extension vs plain k6 JS vs Go\n\n")
	w("Command: `%s`  \n", commandLine())
	w("Machine: %s, %d CPUs, %s; %s; server `authflow serve` (one process, %d users, default load-test hashing) at %s.  \n",
		host, runtime.NumCPU(), runtime.Version(), h.k6Version, h.pool.size(), h.server.Base)
	w("Runs: %d repetitions of the CPU runs, %d of the throughput and memory runs, variants interleaved (order reversed every other repetition); medians of the valid runs; wall time of the comparison %s.  \n",
		c.cpuReps, c.reps, total.Round(time.Second))
	first, last, highest := h.loadRange()
	w("Load average (1 min) from %.1f to %.1f during the runs (highest %.1f; this process's own runs add up to about 2): the machine may be shared, and the flows/s figures suffer most from other load.\n\n",
		first, last, highest)
}

// fmtStat is a stat as the report shows it: the median, the range and the
// valid runs.
func fmtStat(s stat, prec int) string {
	if !s.ok() {
		if s.n == 0 {
			return "–"
		}
		return "INVALID"
	}
	out := strconv.FormatFloat(s.median, 'f', prec, 64)
	if s.valid > 1 {
		out += fmt.Sprintf(" (%s–%s)", strconv.FormatFloat(s.lo, 'f', prec, 64), strconv.FormatFloat(s.hi, 'f', prec, 64))
	}
	if s.valid < s.n {
		out += fmt.Sprintf(" [%d/%d valid]", s.valid, s.n)
	}
	return out
}

// row is one measure of the report's table: how to read it from a run, and
// the extension's target against plain JS.
type row struct {
	name   string
	ph     phase
	val    func(*runResult) (float64, bool)
	prec   int
	target string
	met    func(r float64) bool
}

// rows are the measures of the report's table, in order.
func (h *harness) rows() []row {
	c := h.cfg
	perFlow := func(d func(*runResult) time.Duration) func(*runResult) (float64, bool) {
		return func(r *runResult) (float64, bool) { return perFlowUS(d(r), r.flows), true }
	}
	clientCPU := func(r *runResult) time.Duration { return r.cpu() }
	serverCPU := func(r *runResult) time.Duration { return r.serverCPU }
	return []row{
		{fmt.Sprintf("client CPU per flow, net (µs; %d-flow run minus %d-flow run)", c.n, c.vus), phaseCPU, h.netCPU, 0,
			"≤ 0.60×", func(r float64) bool { return r <= 0.60 }},
		{fmt.Sprintf("client CPU per flow, gross (µs; whole process / %d, start-up included)", c.n), phaseCPU, perFlow(clientCPU), 0, "", nil},
		{fmt.Sprintf("flows/s at %d VUs for %s", c.vus, c.duration), phaseRate,
			func(r *runResult) (float64, bool) { return r.flowsPerSec, true }, 0, "≥ 1.40×", func(r float64) bool { return r >= 1.40 }},
		{fmt.Sprintf("flows/s at %d VUs for %s, client on CPU 0 and server on the others", c.vus, c.duration), phasePin,
			func(r *runResult) (float64, bool) { return r.flowsPerSec, true }, 0, "≥ 1.40×", func(r float64) bool { return r >= 1.40 }},
		{fmt.Sprintf("peak RSS at %d VUs × %d flows (MiB)", c.memVUs, c.memIters), phaseMem,
			func(r *runResult) (float64, bool) { return float64(r.maxRSSKiB) / 1024, true }, 1, "≤ 0.80×", func(r float64) bool { return r <= 0.80 }},
		{"client CPU per flow in the flows/s runs (µs; whole process / flows)", phaseRate, perFlow(clientCPU), 0, "", nil},
		{"server CPU per flow in the CPU runs (µs)", phaseCPU, perFlow(serverCPU), 0, "", nil},
		{"server CPU per flow in the flows/s runs (µs)", phaseRate, perFlow(serverCPU), 0, "", nil},
		{"server CPU per flow in the pinned flows/s runs (µs)", phasePin, perFlow(serverCPU), 0, "", nil},
	}
}

// ratio is the ratio of the medians of a and b, and the median (min–max)
// of the ratios of the runs of a and b in the same repetition (run
// back to back, so a drift of the machine's speed cancels out).
func (h *harness) ratio(rw row, a, b string) (float64, stat, bool) {
	sa, sb := summarize(h.pick(a, rw.ph), rw.val), summarize(h.pick(b, rw.ph), rw.val)
	if !sa.ok() || !sb.ok() || sb.median == 0 {
		return 0, stat{}, false
	}
	var pairs []float64
	for _, ra := range h.pick(a, rw.ph) {
		for _, rb := range h.pick(b, rw.ph) {
			if ra.spec.rep != rb.spec.rep || !ra.valid() || !rb.valid() {
				continue
			}
			va, oka := rw.val(ra)
			vb, okb := rw.val(rb)
			if oka && okb && vb > 0 && !math.IsNaN(va) && !math.IsNaN(vb) {
				pairs = append(pairs, va/vb)
			}
		}
	}
	return sa.median / sb.median, medianOf(pairs), true
}

// fmtRatio is the ratio of a to b as the report shows it.
func (h *harness) fmtRatio(rw row, a, b string, withPairs bool) string {
	m, paired, ok := h.ratio(rw, a, b)
	if !ok {
		return "–"
	}
	out := fmt.Sprintf("%.2f×", m)
	if withPairs && paired.valid > 1 {
		out += fmt.Sprintf(" (paired %.2f×, %.2f–%.2f)", paired.median, paired.lo, paired.hi)
	}
	return out
}

// reportTable writes the table of measures.
func (h *harness) reportTable(w func(string, ...any)) {
	c := h.cfg
	w("| measure | ")
	for _, v := range c.variants {
		w("%s | ", variantNames[v])
	}
	w("ext / JS | ext / Go | JS / Go | target (ext / JS) | met? |\n|---|")
	for range c.variants {
		w("---:|")
	}
	w("---:|---:|---:|---|---|\n")
	for _, rw := range h.rows() {
		ran := false
		for _, v := range c.variants {
			ran = ran || len(h.pick(v, rw.ph)) > 0
		}
		if !ran {
			continue // a phase not run (-pin=false)
		}
		w("| %s | ", rw.name)
		for _, v := range c.variants {
			w("%s | ", fmtStat(summarize(h.pick(v, rw.ph), rw.val), rw.prec))
		}
		w("%s | %s | %s | %s | ", h.fmtRatio(rw, "ext", "js", true), h.fmtRatio(rw, "ext", "go", false), h.fmtRatio(rw, "js", "go", false), rw.target)
		met := ""
		if rw.met != nil {
			m, paired, ok := h.ratio(rw, "ext", "js")
			switch {
			case !slices.Contains(c.variants, "ext") || !slices.Contains(c.variants, "js"):
				met = "not measured"
			case !ok:
				met = "no valid runs"
			case rw.met(m) && (paired.valid < 2 || rw.met(paired.median)):
				met = "**met**"
			case !rw.met(m) && (paired.valid < 2 || !rw.met(paired.median)):
				met = "**NOT met**"
			default:
				met = "borderline (medians and pairs disagree)"
			}
		}
		w("%s |\n", met)
	}
}

// reportNotes writes how each measure is taken.
func (h *harness) reportNotes(w func(string, ...any)) {
	c := h.cfg
	w("\nMedians (min–max) over the valid runs; \"paired\" is the median (min–max) of the ext / JS ratios of runs of the same repetition, which ran back to back. ")
	w("Client CPU is user+sys from the child's rusage (Utime+Stime), peak RSS its Maxrss; server CPU from /proc/<pid>/stat (10 ms ticks). ")
	w("Net CPU is (CPU of the %d-flow run − CPU of a %d-flow run with the same script, VUs and users file) / %d: the start-up (k6 start-up, %d VU inits, reading the users) cancels out, leaving the steady-state cost of a flow; gross includes all of it. ", c.n, c.vus, c.n-c.vus, c.vus)
	w("Flows/s is k6's iterations rate over the test run (VU init excluded; goflow: flows over its elapsed time). ")
	w("In the shared-core runs client and server compete for the same cores, so flows/s is bounded by their summed CPU per flow; in the pinned runs (-pin) the client has CPU 0 and the server the other CPUs (taskset), as a load generator and its target have their own machines, so flows/s is bounded by the client's CPU per flow unless the server saturates its cores first (its CPU per flow is in the last row). ")
	w("Both k6 scripts run one check per flow; the extension also records its own metrics (authflow_flows, authflow_flow_duration, authflow_flow_failed, authflow_step_duration per request), plain JS only k6's built-ins.\n\n")

	var wrapperMax int64
	for _, r := range h.results {
		wrapperMax = max(wrapperMax, r.wrapperRSSKiB)
	}
	w("Peak RSS is read through a small wrapper process (see runWrapper in wrapper.go: a child started by the harness itself would report the harness's own peak); its own peak, a floor of every figure, was at most %.1f MiB.\n\n", float64(wrapperMax)/1024)
}

// reportProblems lists the invalid runs and the throughput runs that ran
// out of users.
func (h *harness) reportProblems(w func(string, ...any)) {
	c := h.cfg
	var invalid, capped []string
	for _, r := range h.results {
		if !r.valid() {
			invalid = append(invalid, fmt.Sprintf("- %s: %s", r.spec.id(), strings.Join(r.problems, "; ")))
		}
		if r.capHit {
			capped = append(capped, fmt.Sprintf("- %s used all %d users after %.1fs (flows/s over that time; raise -rate-margin)", r.spec.id(), r.spec.iters, r.testSec))
		}
	}
	if len(invalid) > 0 {
		w("**INVALID runs** (left out of the medians):\n\n%s\n\n", strings.Join(invalid, "\n"))
	}
	if len(capped) > 0 {
		w("Throughput runs that ran out of users before %s:\n\n%s\n\n", c.duration, strings.Join(capped, "\n"))
	}
}

// reportRuns writes every run and the command lines of the first
// repetition.
func (h *harness) reportRuns(w func(string, ...any)) {
	c := h.cfg
	w("<details><summary>Every run</summary>\n\n")
	w("| run | VUs | flows | wall s | user s | sys s | CPU µs/flow | maxrss MiB | flows/s | server µs/flow | load avg (start→end) | valid |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range h.results {
		valid := "yes"
		if !r.valid() {
			valid = "**INVALID**: " + strings.Join(r.problems, "; ")
		}
		w("| %s | %d | %d | %.2f | %.3f | %.3f | %.0f | %.1f | %.1f | %s | %.1f→%.1f | %s |\n",
			r.spec.id(), r.spec.vus, r.flows, r.wall.Seconds(), r.user.Seconds(), r.sys.Seconds(),
			perFlowUS(r.cpu(), r.flows), float64(r.maxRSSKiB)/1024, r.flowsPerSec, serverPerFlow(r),
			r.load1[0], r.load1[1], valid)
	}
	w("\nCommand lines (first repetition):\n\n```\n")
	for _, r := range h.results {
		if r.spec.rep == 0 {
			w("# %s\n%s\n", r.spec.id(), r.cmdline)
		}
	}
	users := filepath.Join(h.out, "users")
	if !c.keepUsers {
		users += " (deleted after the run: -keep-users keeps them)"
	}
	w("```\n\nScripts: %s (ext.js, plain.js, common.js); users files: %s; k6 summaries: %s; logs: %s.\n\n</details>\n",
		h.scriptDir, users, filepath.Join(h.out, "summaries"), filepath.Join(h.out, "logs"))
}
