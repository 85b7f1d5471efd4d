// Command soak runs scenarios/soak.js (a session life cycle: sign in,
// refresh, both histories, sign out) for a long time at a constant arrival
// rate against one `authflow serve` process, once through the authflow
// extension (soak.js itself) and once as plain k6 JavaScript
// (scripts/plain.js, its twin over k6/http), and samples each k6 process's
// RSS (/proc/PID/status VmRSS) and CPU time (/proc/PID/stat utime+stime)
// every few seconds, with its completed iterations from k6's progress
// line. It reports, for both side by side: RSS at the start (the first
// finished flow) and at the end, RSS growth per 1,000 flows, and the CPU
// per flow of the first and of the last minute; and it writes a Markdown
// table.
//
// Each variant runs in two modes: summary (k6's defaults: the scripts'
// thresholds and the end-of-test summary, for which k6 keeps every Trend
// sample) and nosamples (--summary-mode=disabled --no-thresholds: k6 keeps
// no metric sample at all, so what still grows is not k6's summary;
// --summary-mode=disabled alone keeps them, since k6's metrics engine adds
// every sample to its metric's sink as long as thresholds are enabled).
// With --heap-profile, a heap profile of k6 (pprof through its REST API,
// --profiling-enabled) is taken at the end of the first minute and near the
// end, and `go tool pprof -top -inuse_space -base` shows what grew between.
//
//	go run ./bench/soak --k6 bin/k6 --authflow bin/authflow --duration 10m
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	modeSummary   = "summary"
	modeNoSamples = "nosamples"
)

type config struct {
	k6, authflow, scenario, plain string
	out, report                   string
	duration, interval, win       time.Duration
	rate, users                   int
	modes, variants               []string
	heap                          bool
}

// window is the length of the first and the last window: a minute, or a
// quarter of the run when that is shorter (a smoke run).
func (c config) window() time.Duration {
	if c.win > 0 {
		return c.win
	}
	return min(time.Minute, c.duration/4)
}

type harness struct {
	cfg     config
	server  *server
	results []*runResult
}

func main() {
	var c config
	var modes, variants string
	flag.StringVar(&c.k6, "k6", "bin/k6", "k6 binary built with the authflow extension (make build)")
	flag.StringVar(&c.authflow, "authflow", "bin/authflow", "authflow binary, for `authflow serve`")
	flag.StringVar(&c.scenario, "scenario", "scenarios/soak.js", "the extension's script")
	flag.StringVar(&c.plain, "plain", "bench/soak/scripts/plain.js", "its plain k6 JS twin")
	flag.StringVar(&c.out, "out", "out/bench/soak", "directory for logs, k6 summaries, heap profiles and the users file")
	flag.StringVar(&c.report, "report", "out/bench/soak.md", "the Markdown report")
	flag.DurationVar(&c.duration, "duration", 10*time.Minute, "length of each run (AUTHFLOW_DURATION)")
	flag.DurationVar(&c.interval, "interval", 5*time.Second, "time between two readings of a k6 process")
	flag.DurationVar(&c.win, "window", 0, "length of the first and the last window whose CPU per flow is compared (default a minute, or a quarter of -duration if shorter)")
	flag.IntVar(&c.rate, "rate", 100, "flows (iterations) per second (AUTHFLOW_RATE)")
	flag.IntVar(&c.users, "users", 0, "users the server makes (default 40 per flow a second: a user signs in and refreshes every 40 s, under the refresh limit of 5 a minute)")
	flag.StringVar(&modes, "modes", "summary,nosamples", "modes to run, in order: summary, nosamples")
	flag.StringVar(&variants, "variants", "ext,js", "variants to run in each mode, in order: ext, js")
	flag.BoolVar(&c.heap, "heap-profile", true, "take two heap profiles of every k6 process and show what grew between them")
	flag.Parse()
	var err error
	if c.modes, err = list(modes, modeSummary, modeNoSamples); err == nil {
		c.variants, err = list(variants, "ext", "js")
	}
	if err == nil {
		err = c.check()
	}
	if err == nil {
		err = run(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// list splits a comma-separated flag and checks each value against known.
func list(s string, known ...string) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		ok := false
		for _, k := range known {
			ok = ok || v == k
		}
		if !ok {
			return nil, fmt.Errorf("unknown value %q (want one of %s)", v, strings.Join(known, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *config) check() error {
	switch {
	case c.rate < 1:
		return fmt.Errorf("-rate must be at least 1, got %d", c.rate)
	case c.interval < 100*time.Millisecond:
		return fmt.Errorf("-interval must be at least 100ms, got %s", c.interval)
	case c.duration < 4*c.interval || c.window() < 2*c.interval:
		return fmt.Errorf("-duration %s is too short for readings every %s: give at least %s", c.duration, c.interval, 8*c.interval)
	}
	if c.users == 0 {
		c.users = 40 * c.rate
	}
	for _, p := range []*string{&c.k6, &c.authflow, &c.scenario, &c.plain, &c.out, &c.report} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	for _, p := range []string{c.k6, c.authflow, c.scenario, c.plain} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (run `make build`)", err)
		}
	}
	return nil
}

func run(c config) error {
	for _, d := range []string{c.out, filepath.Join(c.out, "summaries"), filepath.Join(c.out, "profiles"), filepath.Dir(c.report)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	h := &harness{cfg: c}
	logf("starting authflow serve with %d users without 2FA", c.users)
	var err error
	if h.server, err = startServer(c.authflow, c.out, c.users); err != nil {
		return err
	}
	defer h.server.Stop()
	start := time.Now()
	for _, m := range c.modes {
		for _, v := range c.variants {
			spec := runSpec{variant: v, mode: m}
			logf("%s: %d flows/s for %s", spec.id(), c.rate, c.duration)
			r := h.runOne(spec)
			h.results = append(h.results, r)
			logf("%s: %d readings, k6 exit %d%s", spec.id(), len(r.samples), r.exit, errSuffix(r.err))
		}
	}
	md := h.report(time.Since(start))
	if err := os.WriteFile(c.report, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	logf("report written to %s", c.report)
	if bad := h.invalid(); len(bad) > 0 {
		return fmt.Errorf("runs INVALID: %s (see %s)", strings.Join(bad, ", "), c.report)
	}
	return nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
