package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ---- running one child ----

func (h *harness) run(s runSpec) *runResult {
	r := &runResult{spec: s}
	id := s.id()
	summary := filepath.Join(h.out, "summaries", id+".json")
	logPath := filepath.Join(h.out, "logs", id+".log")
	_ = os.Remove(summary)

	ctx, cancel := context.WithTimeout(context.Background(), s.maxDur+3*time.Minute)
	defer cancel()
	cmd, env := h.childCmd(ctx, s, summary)
	r.cmdline = strings.Join(slices.Concat(env, shellQuote(cmd.Args)), " ")
	// The child runs under a small wrapper process (this program again), which
	// reads its rusage: see runWrapper.
	self, err := os.Executable()
	if err != nil {
		r.problems = append(r.problems, err.Error())
		h.results = append(h.results, r)
		return r
	}
	rusageFile := filepath.Join(h.out, "logs", id+".rusage.json")
	_ = os.Remove(rusageFile)
	wrapped := exec.CommandContext(ctx, self, slices.Concat([]string{wrapperFlag, rusageFile}, cmd.Args)...)
	wrapped.Env = cmd.Env
	wrapped.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd = wrapped
	var stdout bytes.Buffer
	logFile, err := os.Create(logPath)
	if err != nil {
		r.problems = append(r.problems, err.Error())
		h.results = append(h.results, r)
		return r
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "$ %s\n\n", r.cmdline)
	if s.variant == "go" {
		cmd.Stdout = io.MultiWriter(&stdout, logFile)
	} else {
		cmd.Stdout = logFile
	}
	cmd.Stderr = logFile

	r.load1[0] = loadAvg()
	srv0 := h.server.CPU()
	t0 := time.Now()
	err = cmd.Run()
	r.wall = time.Since(t0)
	r.serverCPU = h.server.CPU() - srv0
	r.load1[1] = loadAvg()
	var ru wrapperResult
	if b, rerr := os.ReadFile(rusageFile); rerr != nil || json.Unmarshal(b, &ru) != nil {
		r.problems = append(r.problems, "no rusage from the wrapper")
	} else {
		r.user, r.sys = time.Duration(ru.UserNs), time.Duration(ru.SysNs)
		r.maxRSSKiB, r.wrapperRSSKiB, r.exitCode = ru.MaxRSSKiB, ru.WrapperMaxRSSKiB, ru.ExitCode
		if ru.Error != "" {
			r.problems = append(r.problems, ru.Error)
		}
	}
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("exit: %v (log %s)", err, logPath))
	}
	if s.variant == "go" {
		h.readGoflow(r, stdout.Bytes())
	} else {
		h.readSummary(r, summary)
	}
	checkCounts(r)
	h.results = append(h.results, r)
	status := "ok"
	if !r.valid() {
		status = "INVALID: " + strings.Join(r.problems, "; ")
	}
	logf("%-14s %6d flows  %6.2fs wall  cpu %7.3fs  maxrss %6.1f MiB  %7.1f flows/s  server %5s µs/flow  load %.1f  %s",
		id, r.flows, r.wall.Seconds(), r.cpu().Seconds(), float64(r.maxRSSKiB)/1024, r.flowsPerSec,
		serverPerFlow(r), r.load1[1], status)
	return r
}

// childCmd is the command of run s, before the wrapper (pinned to CPU 0 in
// a pinned run), and the environment it adds, which the report shows.
func (h *harness) childCmd(ctx context.Context, s runSpec, summary string) (*exec.Cmd, []string) {
	var cmd *exec.Cmd
	var env []string
	if s.variant == "go" {
		args := []string{"-base", h.server.Base, "-users", s.users, "-vus", strconv.Itoa(s.vus)}
		switch {
		case s.perVU:
			args = append(args, "-per-vu", strconv.Itoa(s.iters))
		default:
			args = append(args, "-n", strconv.Itoa(s.iters))
		}
		if s.phase.timed() {
			args = append(args, "-duration", s.maxDur.String())
		}
		cmd = exec.CommandContext(ctx, h.goflow, args...)
	} else {
		script := "ext.js"
		if s.variant == "js" {
			script = "plain.js"
		}
		mode := "shared"
		if s.perVU {
			mode = "pervu"
		}
		env = []string{"K6_NO_USAGE_REPORT=true", "BENCH_BASE_URL=" + h.server.Base, "BENCH_USERS=" + s.users,
			"BENCH_MODE=" + mode, "BENCH_VUS=" + strconv.Itoa(s.vus), "BENCH_ITERS=" + strconv.Itoa(s.iters),
			"BENCH_MAX_DURATION=" + s.maxDur.String()}
		cmd = exec.CommandContext(ctx, h.cfg.k6, "run", "--quiet", "--no-color", "--summary-export", summary,
			filepath.Join(h.scriptDir, script))
		cmd.Env = append(os.Environ(), env...)
	}
	if s.phase == phasePin {
		pinned := exec.CommandContext(ctx, "taskset", slices.Concat([]string{"-c", "0"}, cmd.Args)...)
		pinned.Env = cmd.Env
		cmd = pinned
	}
	return cmd, env
}

// checkCounts marks a run whose flows are not what its spec expects, and
// a timed run that ran out of users before its duration.
func checkCounts(r *runResult) {
	s := r.spec
	if s.expected > 0 && r.flows != int64(s.expected) {
		r.problems = append(r.problems, fmt.Sprintf("%d flows completed, %d expected", r.flows, s.expected))
	}
	if r.flows == 0 {
		r.problems = append(r.problems, "no flow completed")
	}
	if s.phase.timed() && r.testSec > 0 && r.testSec < s.maxDur.Seconds()*0.98 {
		r.capHit = true
	}
}

func (h *harness) readGoflow(r *runResult, out []byte) {
	var g struct {
		Flows, Succeeded, Failed int64
		ElapsedSec               float64
		OutOfUsers               bool
		FirstError               string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &g); err != nil {
		r.problems = append(r.problems, "no result from goflow: "+err.Error())
		return
	}
	r.flows, r.testSec = g.Succeeded, g.ElapsedSec
	if g.ElapsedSec > 0 {
		r.flowsPerSec = float64(g.Succeeded) / g.ElapsedSec
	}
	if g.Failed > 0 {
		r.problems = append(r.problems, fmt.Sprintf("%d of %d flows failed (first: %s)", g.Failed, g.Flows, g.FirstError))
	}
}

// readSummary judges a k6 run from its summary export: every iteration a
// successful flow (one passed check each, no failed check), 4 requests per
// flow and none failed, and for the extension every authflow_flows sample a
// success.
func (h *harness) readSummary(r *runResult, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		r.problems = append(r.problems, "no summary export: "+err.Error())
		return
	}
	var sum struct {
		Metrics map[string]map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		r.problems = append(r.problems, "bad summary export: "+err.Error())
		return
	}
	get := func(metric, field string) (float64, bool) {
		m, ok := sum.Metrics[metric]
		if !ok {
			return 0, false
		}
		v, ok := m[field].(float64)
		return v, ok
	}
	iters, _ := get("iterations", "count")
	rate, _ := get("iterations", "rate")
	r.flows = int64(iters)
	r.flowsPerSec = rate
	if rate > 0 {
		r.testSec = iters / rate
	}
	pass, ok1 := get("checks", "passes")
	fail, ok2 := get("checks", "fails")
	switch {
	case !ok1 || !ok2:
		r.problems = append(r.problems, "no checks in the summary")
	case fail > 0 || pass != iters:
		r.problems = append(r.problems, fmt.Sprintf("checks: %.0f passed, %.0f failed, %.0f iterations", pass, fail, iters))
	}
	reqs, _ := get("http_reqs", "count")
	if reqs != 4*iters {
		r.problems = append(r.problems, fmt.Sprintf("%.0f requests for %.0f flows (4 each expected)", reqs, iters))
	}
	if failed, ok := get("http_req_failed", "passes"); !ok || failed > 0 {
		r.problems = append(r.problems, fmt.Sprintf("http_req_failed: %.0f requests failed", failed))
	}
	if r.spec.variant == "ext" {
		okFlows, _ := get("authflow_flows{outcome:success}", "count")
		all, _ := get("authflow_flows", "count")
		if okFlows != iters || all != iters {
			r.problems = append(r.problems, fmt.Sprintf("authflow_flows: %.0f successes of %.0f, %.0f iterations", okFlows, all, iters))
		}
		if f, ok := get("authflow_flow_failed", "passes"); !ok || f > 0 {
			r.problems = append(r.problems, fmt.Sprintf("authflow_flow_failed: %.0f", f))
		}
	}
}

// commandLine is how this run was started: `go run ./bench/k6compare ...`
// when go run built it.
func commandLine() string {
	prog := shellQuote(os.Args[:1])[0]
	if strings.Contains(os.Args[0], "go-build") {
		prog = "go run ./bench/k6compare"
	}
	return strings.Join(slices.Concat([]string{prog}, shellQuote(os.Args[1:])), " ")
}

func shellQuote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$&|;<>()*?!`\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// serverPerFlow is the server's CPU per flow of a run, "–" when the run is
// too short for /proc's 10 ms ticks.
func serverPerFlow(r *runResult) string {
	if r.flows < 100 {
		return "–"
	}
	return strconv.FormatFloat(perFlowUS(r.serverCPU, r.flows), 'f', 0, 64)
}

func perFlowUS(d time.Duration, flows int64) float64 {
	if flows <= 0 {
		return math.NaN()
	}
	return float64(d.Microseconds()) / float64(flows)
}
