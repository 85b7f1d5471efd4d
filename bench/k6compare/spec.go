package main

import (
	"fmt"
	"time"
)

// ---- what a run is ----

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
