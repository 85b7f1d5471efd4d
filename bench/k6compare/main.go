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
	"embed"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

//go:embed scripts/*.js
var scripts embed.FS

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
	c := parseFlags()
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

// parseFlags reads the command line into a config, or exits with a usage
// error.
func parseFlags() config {
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
	return c
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

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k6compare %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
