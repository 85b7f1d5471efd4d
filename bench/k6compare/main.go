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
	"embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
	pin                       bool
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
	flag.IntVar(&c.memVUs, "mem-vus", 5000, "VUs of the memory runs")
	flag.IntVar(&c.memIters, "mem-iters", 2, "flows per VU of the memory runs (per-vu-iterations)")
	flag.IntVar(&c.reps, "reps", 3, "repetitions of the throughput and memory runs (variants interleaved; the median is reported)")
	flag.IntVar(&c.cpuReps, "cpu-reps", 5, "repetitions of the CPU runs (short: more of them cost little)")
	flag.IntVar(&c.users, "users", 0, "users the server creates (0: sized from the other flags)")
	flag.StringVar(&variants, "variants", "ext,js,go", "variants to run, in order: ext, js, go")
	flag.DurationVar(&c.profile, "profile", 0, "after the measurements, take a k6 CPU profile of this length (pprof, through k6's REST API) of the ext and js variants at -vus VUs, and break their CPU per flow down (0: none)")
	flag.BoolVar(&c.keepUsers, "keep-users", false, "keep every run's users file in -out/users (a few hundred MB) to rerun a command line by hand")
	flag.BoolVar(&c.pin, "pin", runtime.NumCPU() >= 4, "also run the throughput runs with the client pinned to CPU 0 and the server to the other CPUs (taskset), "+
		"as a load generator and its target run on their own machines (default on from 4 CPUs: on 2, the server's one core saturates before the client's)")
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
	phasePin  phase = "rate-pin" // -duration, client on CPU 0, server on the others
	phaseMem  phase = "mem"      // -mem-vus VUs
)

// timed says whether a phase's runs last -duration (not a flow count).
func (p phase) timed() bool { return p == phaseRate || p == phasePin }

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
	// 2. Flows per second, on shared cores and, with -pin, on a core each.
	if err := h.rateRuns(phaseRate); err != nil {
		return err
	}
	if cfg.pin {
		if err := h.server.pin(fmt.Sprintf("1-%d", runtime.NumCPU()-1)); err != nil {
			return fmt.Errorf("pinning the server to CPUs 1-%d: %w", runtime.NumCPU()-1, err)
		}
		err := h.rateRuns(phasePin)
		if uerr := h.server.pin(fmt.Sprintf("0-%d", runtime.NumCPU()-1)); err == nil {
			err = uerr
		}
		if err != nil {
			return err
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

// rateRuns runs the throughput runs of phase ph.
func (h *harness) rateRuns(ph phase) error {
	for rep := range h.cfg.reps {
		for _, v := range interleave(h.cfg.variants, rep) {
			capFlows := h.rateCap(v)
			pos := h.pool.take(capFlows)
			if err := h.writeUsers(pos, 0, capFlows, string(ph), v, rep); err != nil {
				return err
			}
			r := h.run(runSpec{variant: v, phase: ph, rep: rep, vus: h.cfg.vus, iters: capFlows, maxDur: h.cfg.duration,
				users: h.usersPath(string(ph), v, rep)})
			h.pool.release(pos, min(capFlows, int(r.flows)+2*h.cfg.vus))
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
