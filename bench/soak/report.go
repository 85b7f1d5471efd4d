package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

var variantNames = map[string]string{"ext": "extension", "js": "plain k6 JS"}

var modeTitles = map[string]string{
	modeSummary:   "k6's defaults: the scripts' thresholds and the end-of-test summary (k6 keeps every Trend sample)",
	modeNoSamples: "`--summary-mode=disabled --no-thresholds` (k6 keeps no metric sample)",
}

// cpuTolerance is how far the last window's CPU per flow may be from the
// first's: the "within 10%".
const cpuTolerance = 0.10

// problems lists why a run's figures cannot be trusted.
func (r *runResult) problems(rate int, duration, window time.Duration) []string {
	var p []string
	if r.err != nil {
		p = append(p, r.err.Error())
	}
	if r.exit != 0 && r.exit != 99 { // 99: a threshold (the SLA) failed, which the soak does not judge
		p = append(p, fmt.Sprintf("k6 exited with %d (log %s)", r.exit, r.log))
	}
	if r.checks >= 0 && r.checks < 1 {
		p = append(p, fmt.Sprintf("checks passed %.3f%%", 100*r.checks))
	}
	if want := int64(float64(rate) * duration.Seconds()); r.final < want-1 || r.interrupted > 0 {
		p = append(p, fmt.Sprintf("k6 completed %d iterations (%d interrupted), %d expected", r.final, r.interrupted, want))
	}
	if r.dropped > 0 {
		p = append(p, fmt.Sprintf("%d dropped iterations", r.dropped))
	}
	if _, err := compute(r.samples, window); err != nil {
		p = append(p, err.Error())
	}
	return p
}

func (h *harness) invalid() []string {
	var bad []string
	for _, r := range h.results {
		if len(r.problems(h.cfg.rate, h.cfg.duration, h.cfg.window())) > 0 {
			bad = append(bad, r.spec.id())
		}
	}
	return bad
}

func (h *harness) report(elapsed time.Duration) string {
	c := h.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "# Soak: scenarios/soak.js through the extension and as plain k6 JS\n\n")
	fmt.Fprintf(&b, "%s, %d CPUs, load average %s; %d flows/s for %s per run, readings every %s, windows of %s; %d users; %s in all.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), loadAvg(), c.rate, c.duration, c.interval,
		c.window(), c.users, elapsed.Round(time.Second))
	fmt.Fprintf(&b, "`%s`\n\n", commandLine())
	for _, m := range c.modes {
		fmt.Fprintf(&b, "## %s: %s\n\n", m, modeTitles[m])
		h.modeTable(&b, m)
	}
	if c.heap {
		b.WriteString("## What grew in the k6 heap between the first window and the end\n\n")
		b.WriteString("`go tool pprof -top -inuse_space -base first.pb.gz bin/k6 end.pb.gz`, live heap after a forced collection; the profiles are in " +
			filepath.Join(c.out, "profiles") + ".\n\n")
		for _, r := range h.results {
			h.heapDiff(&b, r)
		}
	}
	return b.String()
}

func (h *harness) modeTable(b *strings.Builder, mode string) {
	byVariant := map[string]*runResult{}
	for _, r := range h.results {
		if r.spec.mode == mode {
			byVariant[r.spec.variant] = r
		}
	}
	fig := map[string]figures{}
	var notes []string
	for v, r := range byVariant {
		if p := r.problems(h.cfg.rate, h.cfg.duration, h.cfg.window()); len(p) > 0 {
			notes = append(notes, fmt.Sprintf("**%s INVALID**: %s.", variantNames[v], strings.Join(p, "; ")))
		}
		if f, err := compute(r.samples, h.cfg.window()); err == nil {
			fig[v] = f
		}
	}
	win := h.cfg.window().String()
	b.WriteString("| measure | extension | plain k6 JS | extension / JS | target |\n| --- | ---: | ---: | ---: | --- |\n")
	row := func(name string, val func(figures) string, ratio func(e, j figures) string, target string) {
		e, eok := fig["ext"]
		j, jok := fig["js"]
		cell := func(f figures, ok bool) string {
			if !ok {
				return "–"
			}
			return val(f)
		}
		r := ""
		if eok && jok && ratio != nil {
			r = ratio(e, j)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", name, cell(e, eok), cell(j, jok), r, target)
	}
	mib := func(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }
	row("flows between the first and the last reading", func(f figures) string { return fmt.Sprintf("%d in %s", f.flows, f.span.Round(time.Second)) }, nil, "")
	row("k6 RSS at the first flow", func(f figures) string { return mib(f.rssStart) }, nil, "")
	row("k6 RSS at the end", func(f figures) string { return mib(f.rssEnd) }, nil, "")
	row("k6 RSS at the end of the first "+win, func(f figures) string { return mib(f.rssWin) }, nil, "")
	row("RSS growth per 1,000 flows, first flow to end", func(f figures) string { return fmt.Sprintf("%.0f KiB", f.growthAll) },
		func(e, j figures) string { return growthVerdict(e.growthAll, j.growthAll) }, "extension ≤ JS")
	row("RSS growth per 1,000 flows, end of the first "+win+" to end", func(f figures) string { return fmt.Sprintf("%.0f KiB", f.growthWin) },
		func(e, j figures) string { return growthVerdict(e.growthWin, j.growthWin) }, "extension ≤ JS")
	row("RSS growth per 1,000 flows after the first "+win+" (least squares)", func(f figures) string { return fmt.Sprintf("%.0f KiB", f.growthSteady) },
		func(e, j figures) string { return growthVerdict(e.growthSteady, j.growthSteady) }, "extension ≤ JS")
	if h.cfg.heap {
		live := func(v string) (float64, bool) {
			r := byVariant[v]
			if r == nil || r.heapAlloc[0] == 0 || r.heapAlloc[1] == 0 || r.heapIters[1] <= r.heapIters[0] {
				return 0, false
			}
			return float64(r.heapAlloc[1]-r.heapAlloc[0]) / float64(r.heapIters[1]-r.heapIters[0]), true
		}
		e, eok := live("ext")
		j, jok := live("js")
		cell := func(v float64, ok bool) string {
			if !ok {
				return "–"
			}
			return fmt.Sprintf("%.0f B", v)
		}
		ratio := ""
		if eok && jok {
			ratio = growthVerdict(e, j)
		}
		fmt.Fprintf(b, "| live heap growth per flow (HeapAlloc after a forced collection, at the two heap profiles) | %s | %s | %s | extension ≤ JS |\n",
			cell(e, eok), cell(j, jok), ratio)
	}
	row("k6 CPU per flow, first "+win, func(f figures) string { return fmt.Sprintf("%.0f µs", f.cpuFirst) },
		func(e, j figures) string { return fmt.Sprintf("%.2f×", e.cpuFirst/j.cpuFirst) }, "")
	row("k6 CPU per flow, last "+win, func(f figures) string { return fmt.Sprintf("%.0f µs", f.cpuLast) },
		func(e, j figures) string { return fmt.Sprintf("%.2f×", e.cpuLast/j.cpuLast) }, "")
	row("last / first "+win, func(f figures) string {
		verdict := "met"
		if r := f.cpuRatio(); r > 1+cpuTolerance || r < 1-cpuTolerance {
			verdict = "not met"
		}
		return fmt.Sprintf("%.2f (%s)", f.cpuRatio(), verdict)
	}, nil, "within 10 %")
	row("server RSS, first flow → end", func(f figures) string { return mib(f.srvStart) + " → " + mib(f.srvEnd) }, nil, "")
	b.WriteString("\n")
	if mode == modeNoSamples {
		notes = append(notes, "In this mode k6 keeps no metric, so its REST API shows no checks: what is verified is that every "+
			"scheduled iteration completed (k6's progress line), none was interrupted and k6 exited with 0.")
	}
	for _, n := range notes {
		b.WriteString(n + "\n\n")
	}
}

func growthVerdict(e, j float64) string {
	verdict := "met"
	if e > j {
		verdict = "not met"
	}
	if j <= 0 {
		return fmt.Sprintf("– (%s)", verdict)
	}
	return fmt.Sprintf("%.2f× (%s)", e/j, verdict)
}

// heapDiff writes the top of `pprof -base` between a run's two heap profiles.
func (h *harness) heapDiff(b *strings.Builder, r *runResult) {
	if r.heap[0] == "" || r.heap[1] == "" {
		fmt.Fprintf(b, "%s: no heap profiles.\n\n", r.spec.id())
		return
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-inuse_space", "-nodecount=12",
		"-base", r.heap[0], h.cfg.k6, r.heap[1]).Output()
	text := string(out)
	if err != nil {
		text = "go tool pprof failed: " + err.Error()
	}
	if i := strings.Index(text, "Showing nodes"); i >= 0 {
		text = text[i:]
	}
	_ = os.WriteFile(filepath.Join(h.cfg.out, "profiles", r.spec.id()+"-heap-diff.txt"), out, 0o644)
	fmt.Fprintf(b, "%s:\n\n```\n%s```\n\n", r.spec.id(), text)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// commandLine is how this run was started: `go run ./bench/soak ...` when
// go run built it.
func commandLine() string {
	prog := os.Args[0]
	if strings.Contains(prog, "go-build") {
		prog = "go run ./bench/soak"
	}
	return strings.Join(append([]string{prog}, os.Args[1:]...), " ")
}
