package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// ---- the harness: the server, the users and the measurements in order ----

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
	if err := h.prepare(); err != nil {
		return err
	}
	nUsers := cmp.Or(cfg.users, h.defaultUsers())
	logf("starting the reference server with %d Google-TOTP users", nUsers)
	var err error
	if h.server, err = startServer(h.cfg.authflow, h.out, nUsers); err != nil {
		return err
	}
	defer h.server.Stop()
	if h.pool, err = loadPool(filepath.Join(h.out, "users.json")); err != nil {
		return err
	}
	logf("server %s ready; waiting for its background password hashing to finish", h.server.Base)
	idle := h.server.WaitIdle(90 * time.Second)
	logf("server idle after %s of CPU (%s)", h.server.CPU().Round(10*time.Millisecond), idle)
	if err := h.measure(); err != nil {
		return err
	}
	return h.finish(start)
}

// prepare makes the output directories, writes the scripts, checks the
// binaries and builds goflow when the go variant runs.
func (h *harness) prepare() error {
	var err error
	if h.out, err = filepath.Abs(h.cfg.out); err != nil {
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
	if slices.Contains(h.cfg.variants, "go") {
		return h.buildGoflow()
	}
	return nil
}

// measure runs the measurements in order: CPU per flow, flows per second
// (on shared cores and, with -pin, on a core each), peak memory, and the
// profiles.
func (h *harness) measure() error {
	cfg := h.cfg
	if err := h.cpuRuns(); err != nil {
		return err
	}
	if err := h.rateRuns(phaseRate); err != nil {
		return err
	}
	if cfg.pin {
		if err := h.pinnedRateRuns(); err != nil {
			return err
		}
	}
	if err := h.memRuns(); err != nil {
		return err
	}
	// Where the CPU goes (not part of the figures above).
	if cfg.profile > 0 {
		for _, v := range cfg.variants {
			if v != "go" {
				h.profiles = append(h.profiles, h.profileRun(v))
			}
		}
	}
	return nil
}

// finish writes and prints the report; it fails when a run was invalid.
func (h *harness) finish(start time.Time) error {
	if !h.cfg.keepUsers {
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

// cpuRuns runs the CPU-per-flow runs, each with its base run.
func (h *harness) cpuRuns() error {
	cfg := h.cfg
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
	return nil
}

// pinnedRateRuns runs the throughput runs with the server on CPUs 1.. and
// the client on CPU 0, and gives the server back every CPU after.
func (h *harness) pinnedRateRuns() error {
	if err := h.server.pin(fmt.Sprintf("1-%d", runtime.NumCPU()-1)); err != nil {
		return fmt.Errorf("pinning the server to CPUs 1-%d: %w", runtime.NumCPU()-1, err)
	}
	err := h.rateRuns(phasePin)
	if uerr := h.server.pin(fmt.Sprintf("0-%d", runtime.NumCPU()-1)); err == nil {
		err = uerr
	}
	return err
}

// memRuns runs the peak-memory runs.
func (h *harness) memRuns() error {
	cfg := h.cfg
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
