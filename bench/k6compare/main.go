// Command k6compare measures, in one run and against one reference server
// on this machine, the client cost of the sign-in + Google TOTP flow (GET
// signin/wizard, POST signin, POST signin/2fa, POST 2fa/google) done three
// ways:
//
//   - ext: a k6 script using the authflow extension (scripts/ext.js:
//     client.signIn(user, {method: 'google'}));
//   - js: the same flow in plain k6 JavaScript (scripts/plain.js: k6/http,
//     a SharedArray of users, RFC 6238 TOTP with k6/crypto's HMAC-SHA1,
//     every JSON answer parsed and checked);
//   - go: package b2core over a plain net/http client (bench/goflow), the
//     floor.
//
// It starts `authflow serve` with enough Google-TOTP users that every flow
// has its own user (a user can complete one TOTP sign-in per 30-second
// step: a user is reused only 31 s after its last flow), runs each variant
// as a child process and reads the child's rusage, and judges every run from
// its own counts (k6's --summary-export, goflow's JSON): a run with a failed
// flow or request is reported as INVALID and left out of the medians. Three
// measurements, each repeated -reps times with the variants interleaved
// (ext, js, go, then go, js, ext, ...) and reported as the median:
//
//  1. client CPU per flow: user+sys of the child over -n flows
//     (shared-iterations, -vus VUs). "net" subtracts a run of -vus flows
//     (one per VU) with the same script, VUs and users file, so k6
//     start-up, VU init and users parsing cancel out: (cpu(n) -
//     cpu(vus)) / (n - vus); "gross" is the whole process divided by -n;
//  2. flows/s at -vus VUs for -duration (shared-iterations with
//     maxDuration, the iteration count capped by the users given to the
//     run: a run that used them all before -duration is marked);
//  3. peak RSS (maxrss) at -mem-vus VUs, -mem-iters flows each
//     (per-vu-iterations).
//
// The server's CPU per flow (from /proc/<pid>/stat) is reported next to
// each run, to show whether the server was the bottleneck.
//
//	go run ./bench/k6compare --k6 bin/k6 --authflow bin/authflow --out out/bench
package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed scripts/*.js
var scripts embed.FS

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat CPU times (100 on
// every Linux this runs on).
const clockTicks = 100

type config struct {
	k6, authflow, goflow, out string
	n, vus                    int
	duration                  time.Duration
	memVUs, memIters          int
	reps, cpuReps             int
	users                     int
	variants                  []string
	rateMargin                float64
	profile                   time.Duration
	keepUsers                 bool
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == wrapperFlag {
		os.Exit(runWrapper(os.Args[2], os.Args[3:]))
	}
	var c config
	var variants string
	flag.StringVar(&c.k6, "k6", "./bin/k6", "k6 binary built with the authflow extension")
	flag.StringVar(&c.authflow, "authflow", "./bin/authflow", "authflow binary (for `authflow serve`)")
	flag.StringVar(&c.goflow, "goflow", "", "prebuilt bench/goflow binary (default: go build it into -out)")
	flag.StringVar(&c.out, "out", "out/bench", "directory for the report (k6compare.md), logs, users files and summaries")
	flag.IntVar(&c.n, "n", 5000, "flows of each CPU run (shared-iterations)")
	flag.IntVar(&c.vus, "vus", 10, "VUs of the CPU and throughput runs")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of each throughput run")
	flag.IntVar(&c.memVUs, "mem-vus", 1000, "VUs of the memory runs")
	flag.IntVar(&c.memIters, "mem-iters", 2, "flows per VU of the memory runs (per-vu-iterations)")
	flag.IntVar(&c.reps, "reps", 3, "repetitions of the throughput and memory runs (variants interleaved; the median is reported)")
	flag.IntVar(&c.cpuReps, "cpu-reps", 5, "repetitions of the CPU runs (short: more of them cost little)")
	flag.IntVar(&c.users, "users", 0, "users the server creates (0: sized from the other flags)")
	flag.StringVar(&variants, "variants", "ext,js,go", "variants to run, in order: ext, js, go")
	flag.DurationVar(&c.profile, "profile", 0, "after the measurements, take a k6 CPU profile of this length (pprof, through k6's REST API) of the ext and js variants at -vus VUs, and break their CPU per flow down (0: none)")
	flag.BoolVar(&c.keepUsers, "keep-users", false, "keep every run's users file in -out/users (a few hundred MB) to rerun a command line by hand")
	flag.Float64Var(&c.rateMargin, "rate-margin", 1.5, "a throughput run gets users for this many times the flows/s its variant reached in the CPU runs")
	flag.Parse()
	for _, v := range strings.Split(variants, ",") {
		v = strings.TrimSpace(v)
		if _, ok := variantNames[v]; !ok {
			fatalf("unknown variant %q (want ext, js, go)", v)
		}
		c.variants = append(c.variants, v)
	}
	if c.n <= c.vus || c.vus < 1 || c.memVUs < 1 || c.memIters < 1 || c.reps < 1 || c.cpuReps < 1 || c.duration <= 0 {
		fatalf("need -n > -vus, -vus, -mem-vus, -mem-iters, -reps, -cpu-reps >= 1 and a positive -duration")
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k6compare: "+format+"\n", args...)
	os.Exit(1)
}

var variantNames = map[string]string{
	"ext": "extension (k6/x/authflow)",
	"js":  "plain k6 JS (k6/http + k6/crypto)",
	"go":  "Go net/http + b2core (floor)",
}

// ---- runs ----

type phase string

const (
	phaseBase phase = "cpu-base" // -vus flows, subtracted from the CPU run
	phaseCPU  phase = "cpu"      // -n flows
	phaseRate phase = "rate"     // -duration
	phaseMem  phase = "mem"      // -mem-vus VUs
)

type runSpec struct {
	variant  string
	phase    phase
	rep      int
	vus      int
	perVU    bool
	iters    int // in all (shared) or per VU
	maxDur   time.Duration
	users    string // the run's users file
	expected int    // flows that must complete (0: any number, a duration run)
}

func (s runSpec) id() string { return fmt.Sprintf("%s-%s-r%d", s.phase, s.variant, s.rep+1) }

type runResult struct {
	spec      runSpec
	cmdline   string
	wall      time.Duration
	user, sys time.Duration
	maxRSSKiB int64
	// wrapperRSSKiB is the wrapper's own peak RSS: a child's maxrss counts
	// at least this (see runWrapper).
	wrapperRSSKiB int64
	exitCode      int
	serverCPU     time.Duration
	flows         int64 // completed flows (k6 iterations)
	flowsPerSec   float64
	testSec       float64 // k6's test run duration (iterations count / rate), goflow's elapsed
	capHit        bool
	load1         [2]float64
	problems      []string
}

func (r *runResult) valid() bool        { return len(r.problems) == 0 }
func (r *runResult) cpu() time.Duration { return r.user + r.sys }

type harness struct {
	cfg       config
	out       string
	scriptDir string
	goflow    string
	server    *server
	pool      *userPool
	results   []*runResult
	profiles  []*profileResult
	k6Version string
}

func run(cfg config) error {
	start := time.Now()
	h := &harness{cfg: cfg}
	var err error
	if h.out, err = filepath.Abs(cfg.out); err != nil {
		return err
	}
	for _, d := range []string{"logs", "users", "summaries", "scripts"} {
		if err := os.MkdirAll(filepath.Join(h.out, d), 0o755); err != nil {
			return err
		}
	}
	if err := h.writeScripts(); err != nil {
		return err
	}
	for _, p := range []*string{&h.cfg.k6, &h.cfg.authflow} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
		if _, err := os.Stat(*p); err != nil {
			return fmt.Errorf("%w (run `make build`)", err)
		}
	}
	if v, err := exec.Command(h.cfg.k6, "version").Output(); err == nil {
		h.k6Version = strings.SplitN(strings.TrimSpace(string(v)), "\n", 2)[0]
	}
	if slices.Contains(cfg.variants, "go") {
		if err := h.buildGoflow(); err != nil {
			return err
		}
	}

	nUsers := cfg.users
	if nUsers == 0 {
		nUsers = h.defaultUsers()
	}
	logf("starting the reference server with %d Google-TOTP users", nUsers)
	if h.server, err = startServer(h.cfg.authflow, h.out, nUsers); err != nil {
		return err
	}
	defer h.server.stop()
	if h.pool, err = loadPool(filepath.Join(h.out, "users.json")); err != nil {
		return err
	}
	logf("server %s ready; waiting for its background password hashing to finish", h.server.base)
	idle := h.server.waitIdle(90 * time.Second)
	logf("server idle after %s of CPU (%s)", h.server.cpu().Round(10*time.Millisecond), idle)

	// 1. CPU per flow.
	for rep := range cfg.cpuReps {
		for _, v := range interleave(cfg.variants, rep) {
			// The base run (one flow per VU: k6's shared-iterations needs as
			// many iterations as VUs) signs in users 0..vus-1 of the range
			// and reads a file as large as the CPU run's, which signs in
			// users vus..vus+n-1.
			pos := h.pool.take(cfg.n + cfg.vus)
			if err := h.writeUsers(pos, 0, cfg.n, string(phaseBase), v, rep); err != nil {
				return err
			}
			if err := h.writeUsers(pos, cfg.vus, cfg.vus+cfg.n, string(phaseCPU), v, rep); err != nil {
				return err
			}
			h.run(runSpec{variant: v, phase: phaseBase, rep: rep, vus: cfg.vus, iters: cfg.vus, maxDur: 10 * time.Minute,
				users: h.usersPath(string(phaseBase), v, rep), expected: cfg.vus})
			h.run(runSpec{variant: v, phase: phaseCPU, rep: rep, vus: cfg.vus, iters: cfg.n, maxDur: 10 * time.Minute,
				users: h.usersPath(string(phaseCPU), v, rep), expected: cfg.n})
			h.pool.release(pos, cfg.n+cfg.vus)
		}
	}
	// 2. Flows per second.
	for rep := range cfg.reps {
		for _, v := range interleave(cfg.variants, rep) {
			capFlows := h.rateCap(v)
			pos := h.pool.take(capFlows)
			if err := h.writeUsers(pos, 0, capFlows, "rate", v, rep); err != nil {
				return err
			}
			r := h.run(runSpec{variant: v, phase: phaseRate, rep: rep, vus: cfg.vus, iters: capFlows, maxDur: cfg.duration,
				users: h.usersPath("rate", v, rep)})
			h.pool.release(pos, min(capFlows, int(r.flows)+2*cfg.vus))
		}
	}
	// 3. Peak memory.
	memFlows := cfg.memVUs * cfg.memIters
	for rep := range cfg.reps {
		for _, v := range interleave(cfg.variants, rep) {
			pos := h.pool.take(memFlows)
			if err := h.writeUsers(pos, 0, memFlows, "mem", v, rep); err != nil {
				return err
			}
			h.run(runSpec{variant: v, phase: phaseMem, rep: rep, vus: cfg.memVUs, perVU: true, iters: cfg.memIters,
				maxDur: 10 * time.Minute, users: h.usersPath("mem", v, rep), expected: memFlows})
			h.pool.release(pos, memFlows)
		}
	}

	// 4. Where the CPU goes (not part of the figures above).
	if cfg.profile > 0 {
		for _, v := range cfg.variants {
			if v != "go" {
				h.profiles = append(h.profiles, h.profileRun(v))
			}
		}
	}

	if !cfg.keepUsers {
		_ = os.RemoveAll(filepath.Join(h.out, "users"))
	}
	report := h.report(time.Since(start))
	if err := os.WriteFile(filepath.Join(h.out, "k6compare.md"), []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Print(report)
	for _, r := range h.results {
		if !r.valid() {
			return errors.New("some runs were INVALID (see the table above)")
		}
	}
	return nil
}

// interleave orders the variants of repetition rep: as given, then
// reversed, and so on, so that a drift of the machine's load falls on
// every variant alike.
func interleave(vs []string, rep int) []string {
	out := slices.Clone(vs)
	if rep%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k6compare %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// defaultUsers sizes the server's user list: every run gets fresh users,
// and users come back 31 s after their last flow, so the list must cover
// about the runs of a minute at the fastest variant's rate.
func (h *harness) defaultUsers() int {
	c := h.cfg
	// The fastest variant (the Go floor, about 4000-5000 flows/s at 10 VUs
	// on 2 cores) runs twice in a row in the throughput phase (ext, js, go,
	// go, js, ext).
	fastest := 5000.0
	perRate := int(fastest*c.duration.Seconds()*c.rateMargin) + 2*c.vus
	need := 2*perRate + c.cpuReps*(c.n+c.vus) + c.memVUs*c.memIters
	return min(max(need, 60_000), 250_000)
}

// rateCap is how many users a throughput run of v gets: -rate-margin times
// what v reached in its CPU runs, over -duration.
func (h *harness) rateCap(v string) int {
	var rates []float64
	for _, r := range h.results {
		if r.spec.variant == v && r.spec.phase == phaseCPU && r.flowsPerSec > 0 {
			rates = append(rates, r.flowsPerSec)
		}
	}
	rate := 3000.0
	if len(rates) > 0 {
		rate = slices.Max(rates)
	}
	n := int(rate*h.cfg.duration.Seconds()*h.cfg.rateMargin) + 2*h.cfg.vus
	return min(n, h.pool.size()*2/3)
}

func (h *harness) writeScripts() error {
	h.scriptDir = filepath.Join(h.out, "scripts")
	entries, err := scripts.ReadDir("scripts")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := scripts.ReadFile("scripts/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(h.scriptDir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) buildGoflow() error {
	if h.cfg.goflow != "" {
		p, err := filepath.Abs(h.cfg.goflow)
		h.goflow = p
		return err
	}
	h.goflow = filepath.Join(h.out, "goflow")
	logf("building bench/goflow")
	cmd := exec.Command("go", "build", "-o", h.goflow, "github.com/authflow/authflow/bench/goflow")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build bench/goflow: %w", err)
	}
	return nil
}

func (h *harness) usersPath(ph, v string, rep int) string {
	return filepath.Join(h.out, "users", fmt.Sprintf("%s-%s-r%d.json", ph, v, rep+1))
}

// writeUsers writes users pos+from .. pos+to-1 of the pool (a ring) as the
// users file of one run.
func (h *harness) writeUsers(pos, from, to int, ph, v string, rep int) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		b.Write(h.pool.users[(pos+i)%len(h.pool.users)])
	}
	b.WriteString("]\n")
	return os.WriteFile(h.usersPath(ph, v, rep), b.Bytes(), 0o600)
}

// ---- running one child ----

func (h *harness) run(s runSpec) *runResult {
	r := &runResult{spec: s}
	id := s.id()
	summary := filepath.Join(h.out, "summaries", id+".json")
	logPath := filepath.Join(h.out, "logs", id+".log")
	_ = os.Remove(summary)

	var cmd *exec.Cmd
	ctx, cancel := context.WithTimeout(context.Background(), s.maxDur+3*time.Minute)
	defer cancel()
	var env []string
	if s.variant == "go" {
		args := []string{"-base", h.server.base, "-users", s.users, "-vus", strconv.Itoa(s.vus)}
		switch {
		case s.perVU:
			args = append(args, "-per-vu", strconv.Itoa(s.iters))
		default:
			args = append(args, "-n", strconv.Itoa(s.iters))
		}
		if s.phase == phaseRate {
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
		env = []string{"K6_NO_USAGE_REPORT=true", "BENCH_BASE_URL=" + h.server.base, "BENCH_USERS=" + s.users,
			"BENCH_MODE=" + mode, "BENCH_VUS=" + strconv.Itoa(s.vus), "BENCH_ITERS=" + strconv.Itoa(s.iters),
			"BENCH_MAX_DURATION=" + s.maxDur.String()}
		cmd = exec.CommandContext(ctx, h.cfg.k6, "run", "--quiet", "--no-color", "--summary-export", summary,
			filepath.Join(h.scriptDir, script))
		cmd.Env = append(os.Environ(), env...)
	}
	r.cmdline = strings.Join(append(env, shellQuote(cmd.Args)...), " ")
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
	wrapped := exec.CommandContext(ctx, self, append([]string{wrapperFlag, rusageFile}, cmd.Args...)...)
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
	srv0 := h.server.cpu()
	t0 := time.Now()
	err = cmd.Run()
	r.wall = time.Since(t0)
	r.serverCPU = h.server.cpu() - srv0
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
	if s.expected > 0 && r.flows != int64(s.expected) {
		r.problems = append(r.problems, fmt.Sprintf("%d flows completed, %d expected", r.flows, s.expected))
	}
	if r.flows == 0 {
		r.problems = append(r.problems, "no flow completed")
	}
	if s.phase == phaseRate && r.testSec > 0 && r.testSec < s.maxDur.Seconds()*0.98 {
		r.capHit = true
	}
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
	return strings.Join(append([]string{prog}, shellQuote(os.Args[1:])...), " ")
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

// ---- the rusage wrapper ----

// wrapperFlag makes this program a wrapper: `k6compare -rusage-wrapper FILE
// cmd args...` runs cmd and writes its rusage to FILE as JSON.
//
// Why: os/exec starts a child with vfork (CLONE_VM), and Linux carries the
// peak RSS of the memory the child shared until its exec into the child's
// own ru_maxrss. A child of the harness would report the harness's peak
// (over 100 MiB with the users list in memory) whenever its own is lower. The
// wrapper is a fresh small process, so its children's maxrss is their own
// peak whenever that exceeds the wrapper's (WrapperMaxRSSKiB, a few MiB).
const wrapperFlag = "-rusage-wrapper"

type wrapperResult struct {
	UserNs, SysNs    int64
	MaxRSSKiB        int64
	WrapperMaxRSSKiB int64
	ExitCode         int
	Error            string `json:",omitempty"`
}

func runWrapper(file string, argv []string) int {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "k6compare: -rusage-wrapper FILE cmd args...")
		return 2
	}
	runtime.LockOSThread() // Pdeathsig follows the thread that started the child
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	res := wrapperResult{ExitCode: -1}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.UserNs, res.SysNs, res.MaxRSSKiB = ru.Utime.Nano(), ru.Stime.Nano(), ru.Maxrss
		}
	}
	res.WrapperMaxRSSKiB = ownPeakRSS()
	if err != nil && cmd.ProcessState == nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	if werr := os.WriteFile(file, b, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "k6compare wrapper:", werr)
		return 2
	}
	if res.ExitCode < 0 {
		return 1
	}
	return res.ExitCode
}

// ownPeakRSS is VmHWM, the peak RSS of this process's own memory (what a
// vforked child inherits), in KiB; getrusage(RUSAGE_SELF) would count the
// harness's peak again.
func ownPeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// ---- the server ----

type server struct {
	cmd  *exec.Cmd
	base string
	pid  int
	done chan struct{}
}

func startServer(bin, out string, users int) (*server, error) {
	ready := filepath.Join(out, "server.url")
	_ = os.Remove(ready)
	logFile, err := os.Create(filepath.Join(out, "logs", "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ready-file", ready,
		"--users", strconv.Itoa(users), "--users-file", filepath.Join(out, "users.json"),
		"--users-mix", "none=0,google=100,sms=0,both=0", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.base = strings.TrimSpace(string(b))
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("authflow serve exited before it was ready (see %s)", filepath.Join(out, "logs", "server.log"))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("authflow serve was not ready within 2 minutes")
		}
	}
}

func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// cpu is the server's user+system CPU time so far, from /proc/<pid>/stat.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(ut+st) * time.Second / clockTicks
}

// waitIdle waits until the server's CPU use stays under 5% of a core for a
// second (its background password hashing is done).
func (s *server) waitIdle(limit time.Duration) string {
	start := time.Now()
	quiet := 0
	prev := s.cpu()
	for time.Since(start) < limit {
		time.Sleep(500 * time.Millisecond)
		cur := s.cpu()
		if cur-prev <= 25*time.Millisecond {
			quiet++
			if quiet >= 2 {
				return "after " + time.Since(start).Round(100*time.Millisecond).String()
			}
		} else {
			quiet = 0
		}
		prev = cur
	}
	return "NOT idle after " + limit.String()
}

// ---- users ----

// userPool hands out the server's users as a ring: a user comes back 31 s
// after its last flow (the next 30-second TOTP step), so a run never meets
// TOTP replay protection.
type userPool struct {
	users  [][]byte // raw JSON objects
	freeAt []time.Time
	next   int
}

func loadPool(path string) (*userPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &userPool{users: make([][]byte, len(raw)), freeAt: make([]time.Time, len(raw))}
	for i, r := range raw {
		p.users[i] = r
	}
	return p, nil
}

func (p *userPool) size() int { return len(p.users) }

// take returns the position of n consecutive users (wrapping), waiting until
// all are free.
func (p *userPool) take(n int) int {
	if n > len(p.users) {
		fatalf("a run needs %d users, the server has %d (raise -users)", n, len(p.users))
	}
	pos := p.next
	var latest time.Time
	for i := range n {
		if t := p.freeAt[(pos+i)%len(p.users)]; t.After(latest) {
			latest = t
		}
	}
	if d := time.Until(latest); d > 0 {
		logf("waiting %s for users to reach their next TOTP step (raise -users to avoid it)", d.Round(100*time.Millisecond))
		time.Sleep(d)
	}
	return pos
}

// release marks the first used users from pos as used now, and moves the
// ring past them.
func (p *userPool) release(pos, used int) {
	free := time.Now().Add(31 * time.Second)
	for i := range used {
		p.freeAt[(pos+i)%len(p.users)] = free
	}
	p.next = (pos + used) % len(p.users)
}

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

func (h *harness) report(total time.Duration) string {
	c := h.cfg
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	host, _ := os.Hostname()
	w("## k6 comparison: sign-in + Google TOTP (4 requests), extension vs plain k6 JS vs Go\n\n")
	w("Command: `%s`  \n", commandLine())
	w("Machine: %s, %d CPUs, %s; %s; server `authflow serve` (one process, %d users, default load-test hashing) at %s.  \n",
		host, runtime.NumCPU(), runtime.Version(), h.k6Version, h.pool.size(), h.server.base)
	w("Runs: %d repetitions of the CPU runs, %d of the throughput and memory runs, variants interleaved (order reversed every other repetition); medians of the valid runs; wall time of the comparison %s.  \n",
		c.cpuReps, c.reps, total.Round(time.Second))
	first, last, highest := h.loadRange()
	w("Load average (1 min) from %.1f to %.1f during the runs (highest %.1f; this process's own runs add up to about 2): the machine may be shared, and the flows/s figures suffer most from other load.\n\n",
		first, last, highest)

	fmtStat := func(s stat, prec int) string {
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
	perFlow := func(d func(*runResult) time.Duration) func(*runResult) (float64, bool) {
		return func(r *runResult) (float64, bool) { return perFlowUS(d(r), r.flows), true }
	}
	clientCPU := func(r *runResult) time.Duration { return r.cpu() }
	serverCPU := func(r *runResult) time.Duration { return r.serverCPU }
	type row struct {
		name   string
		ph     phase
		val    func(*runResult) (float64, bool)
		prec   int
		target string
		met    func(r float64) bool
	}
	rows := []row{
		{fmt.Sprintf("client CPU per flow, net (µs; %d-flow run minus %d-flow run)", c.n, c.vus), phaseCPU, h.netCPU, 0,
			"≤ 0.60×", func(r float64) bool { return r <= 0.60 }},
		{fmt.Sprintf("client CPU per flow, gross (µs; whole process / %d, start-up included)", c.n), phaseCPU, perFlow(clientCPU), 0, "", nil},
		{fmt.Sprintf("flows/s at %d VUs for %s", c.vus, c.duration), phaseRate,
			func(r *runResult) (float64, bool) { return r.flowsPerSec, true }, 0, "≥ 1.40×", func(r float64) bool { return r >= 1.40 }},
		{fmt.Sprintf("peak RSS at %d VUs × %d flows (MiB)", c.memVUs, c.memIters), phaseMem,
			func(r *runResult) (float64, bool) { return float64(r.maxRSSKiB) / 1024, true }, 1, "≤ 1.10×", func(r float64) bool { return r <= 1.10 }},
		{"client CPU per flow in the flows/s runs (µs; whole process / flows)", phaseRate, perFlow(clientCPU), 0, "", nil},
		{"server CPU per flow in the CPU runs (µs)", phaseCPU, perFlow(serverCPU), 0, "", nil},
		{"server CPU per flow in the flows/s runs (µs)", phaseRate, perFlow(serverCPU), 0, "", nil},
	}
	// ratio is the ratio of the medians of a and b, and the median (min–max)
	// of the ratios of the runs of a and b in the same repetition (run
	// back to back, so a drift of the machine's speed cancels out).
	ratio := func(rw row, a, b string) (float64, stat, bool) {
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
	fmtRatio := func(rw row, a, b string, withPairs bool) string {
		m, paired, ok := ratio(rw, a, b)
		if !ok {
			return "–"
		}
		out := fmt.Sprintf("%.2f×", m)
		if withPairs && paired.valid > 1 {
			out += fmt.Sprintf(" (paired %.2f×, %.2f–%.2f)", paired.median, paired.lo, paired.hi)
		}
		return out
	}
	w("| measure | ")
	for _, v := range c.variants {
		w("%s | ", variantNames[v])
	}
	w("ext / JS | ext / Go | JS / Go | target (ext / JS) | met? |\n|---|")
	for range c.variants {
		w("---:|")
	}
	w("---:|---:|---:|---|---|\n")
	for _, rw := range rows {
		w("| %s | ", rw.name)
		for _, v := range c.variants {
			w("%s | ", fmtStat(summarize(h.pick(v, rw.ph), rw.val), rw.prec))
		}
		w("%s | %s | %s | %s | ", fmtRatio(rw, "ext", "js", true), fmtRatio(rw, "ext", "go", false), fmtRatio(rw, "js", "go", false), rw.target)
		met := ""
		if rw.met != nil {
			m, paired, ok := ratio(rw, "ext", "js")
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
	w("\nMedians (min–max) over the valid runs; \"paired\" is the median (min–max) of the ext / JS ratios of runs of the same repetition, which ran back to back. ")
	w("Client CPU is user+sys from the child's rusage (Utime+Stime), peak RSS its Maxrss; server CPU from /proc/<pid>/stat (10 ms ticks). ")
	w("Net CPU is (CPU of the %d-flow run − CPU of a %d-flow run with the same script, VUs and users file) / %d: the start-up (k6 start-up, %d VU inits, reading the users) cancels out, leaving the steady-state cost of a flow; gross includes all of it. ", c.n, c.vus, c.n-c.vus, c.vus)
	w("Flows/s is k6's iterations rate over the test run (VU init excluded; goflow: flows over its elapsed time). ")
	w("Both k6 scripts run one check per flow; the extension also records its own metrics (authflow_flows, authflow_flow_duration, authflow_flow_failed, authflow_step_duration per request), plain JS only k6's built-ins.\n\n")

	var wrapperMax int64
	for _, r := range h.results {
		wrapperMax = max(wrapperMax, r.wrapperRSSKiB)
	}
	w("Peak RSS is read through a small wrapper process (see runWrapper in main.go: a child started by the harness itself would report the harness's own peak); its own peak, a floor of every figure, was at most %.1f MiB.\n\n", float64(wrapperMax)/1024)

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

	h.profileReport(w)

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
	return b.String()
}
