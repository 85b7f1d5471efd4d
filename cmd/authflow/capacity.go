package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authflow/authflow/capacity"
	"github.com/authflow/authflow/refserver"
)

func init() {
	register(command{name: "capacity", summary: "find the highest rate a flow sustains within an SLA (runs bin/k6 again and again)", run: runCapacity})
}

// k6ExitThresholds is k6's exit code when a threshold is crossed: a
// measurement, not a failure of k6 (the wrapper declares none that can fail).
const k6ExitThresholds = 99

// ExitClientLimited is authflow capacity's exit status when the search
// stopped at a rate the load generator, not the server, could not drive.
const ExitClientLimited ExitCode = 3

const capacityUsage = `Usage: authflow capacity [flags]

Finds the highest arrival rate of one flow that the target sustains within an
SLA (p95 of the flow's duration, share of failed flows, and at least 95% of
the asked-for flows actually started), the way Keycloak's benchmark reports
logins per second. It runs a k6 scenario again and again: growing the rate by
--factor while the SLA holds, then bisecting between the last rate that held
and the first that did not, until they are within --precision.

Every run first warms up for --warmup at the rate (VUs start, users load,
connections open; discarded), then measures for --duration. A run the load
generator could not drive (VUs all busy while the flows that ran were fast,
its CPU saturated, its user pool empty) is reported as client-limited, never
as the server's capacity; the search then exits with status 3.

The scenario must run the flow in an arrival-rate scenario that takes its
rate from AUTHFLOW_RATE, its length from AUTHFLOW_DURATION and its VUs from
AUTHFLOW_MAX_VUS (every script in scenarios/ does); its own thresholds are
not used. Without --target, an embedded reference server is started on
loopback with enough users for --max, hashed before the first run.

Examples:
  authflow capacity                                    # TOTP sign-ins, embedded server
  authflow capacity --script scenarios/signin_load.js --flow signin --p95 200ms
  authflow capacity --target https://staging.example.com --users users.json --max 500
  authflow capacity --closed-vus 10 --p95 50ms --out capacity.json

Flags:
`

type capacityFlags struct {
	k6, script, flow, target, users, out string
	search                               capacity.Search
	p95, warmup, duration                time.Duration
	maxVUs                               int
	usersPerFlow                         float64
	closedVUs                            int
	startGiven                           bool
	env                                  listFlag

	slices  *capacity.UserSlices
	wrapper string
}

func parseCapacityFlags(args []string, stderr io.Writer) (*capacityFlags, error) {
	f := &capacityFlags{}
	fs := flag.NewFlagSet("authflow capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, capacityUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.k6, "k6", "bin/k6", "the k6 `binary` built with the authflow extension (make build)")
	fs.StringVar(&f.script, "script", "scenarios/totp.js", "the k6 `scenario` to run at each rate")
	fs.StringVar(&f.flow, "flow", "signin_totp", "the `flow` whose latency and failures the SLA is about")
	fs.StringVar(&f.target, "target", "", "base `URL` of the API under test; empty starts an embedded reference server")
	fs.StringVar(&f.users, "users", "", "user `file` for the target (AUTHFLOW_USERS); the embedded server writes its own")
	fs.DurationVar(&f.warmup, "warmup", 5*time.Second, "each run's warm-up at its rate, discarded (`duration`)")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "each run's measured window after the warm-up (`duration`)")
	fs.IntVar(&f.maxVUs, "max-vus", 200, "most VUs a run may have (`N`); a run has rate × p95 SLA + 10 VUs")
	fs.Float64Var(&f.usersPerFlow, "users-per-flow", 2, "each run gets its own slice of the users file: `N` users per flow it may start")
	fs.StringVar(&f.out, "out", "", "write the runs and the result as JSON to this `file`")
	fs.Float64Var(&f.search.Start, "start", 5, "first `rate` tried, flows per second")
	fs.IntVar(&f.closedVUs, "closed-vus", 0, "first measure the flow's closed-loop throughput with `N` VUs (each starts its next flow\n"+
		"when the last ends), report the capacity as a share of it, and start at a quarter of it unless --start is given")
	fs.Float64Var(&f.search.Max, "max", 1000, "highest `rate` ever tried")
	fs.Float64Var(&f.search.Factor, "factor", 2, "rate growth `factor` while the SLA holds")
	fs.Float64Var(&f.search.Precision, "precision", 0.1, "stop when the last good and first bad rates are within this `fraction`")
	fs.IntVar(&f.search.MaxRuns, "max-runs", 12, "never more than `N` runs")
	fs.IntVar(&f.search.Retries, "retries", 0, "run a rate that broke the SLA up to `N` more times; it holds if any run does\n"+
		"(on a shared machine one window can fall on another process's burst of work)")
	fs.DurationVar(&f.p95, "p95", 500*time.Millisecond, "SLA: highest p95 of the flow's `duration`")
	fs.Float64Var(&f.search.SLA.ErrorRate, "error-rate", 0.01, "SLA: highest share of failed flows (0.01 = 1%)")
	fs.Var(&f.env, "env", "extra `NAME=value` for the scenario (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelpShown
		}
		return nil, usageError(err)
	}
	if fs.NArg() > 0 {
		return nil, usageError(fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	f.search.SLA.P95 = f.p95
	fs.Visit(func(fl *flag.Flag) { f.startGiven = f.startGiven || fl.Name == "start" })
	switch {
	case f.warmup < 0 || f.duration < time.Second:
		return nil, usageError(errors.New("--warmup must be >= 0 and --duration >= 1s"))
	case f.maxVUs < 1 || f.usersPerFlow <= 0 || f.closedVUs < 0:
		return nil, usageError(errors.New("--max-vus must be >= 1, --users-per-flow > 0 and --closed-vus >= 0"))
	}
	if _, err := os.Stat(f.script); err != nil {
		return nil, usageError(fmt.Errorf("--script: %w", err))
	}
	if _, err := exec.LookPath(f.k6); err != nil {
		return nil, usageError(fmt.Errorf("--k6 %s: %w (run make build)", f.k6, err))
	}
	for _, kv := range f.env {
		if !strings.Contains(kv, "=") {
			return nil, usageError(fmt.Errorf("--env %q: want NAME=value", kv))
		}
	}
	return f, nil
}

func runCapacity(args []string, stdout, stderr io.Writer) error {
	f, err := parseCapacityFlags(args, stderr)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	work, err := os.MkdirTemp("", "authflow-capacity-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if f.target == "" {
		closeServer, err := f.startEmbedded(work)
		if err != nil {
			return err
		}
		defer closeServer()
		fmt.Fprintf(stdout, "embedded reference server at %s\n", f.target)
	}
	if err := f.prepare(work); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "capacity of flow %s (%s), SLA p95 <= %s, failures <= %.2f%%, each run %s warm-up + %s measured\n",
		f.flow, f.script, f.p95, 100*f.search.SLA.ErrorRate, f.warmup, f.duration)
	closed, err := f.closedLoop(ctx, work, stdout)
	if err != nil {
		return err
	}
	res, err := f.find(ctx, work, stdout)
	if errors.Is(err, capacity.ErrBadSearch) {
		return usageError(err)
	}
	if err != nil {
		return err
	}
	return f.finish(stdout, res, closed)
}

// closedLoop measures the closed-loop throughput when --closed-vus asks
// for it, and starts the search at a quarter of it unless --start is given.
func (f *capacityFlags) closedLoop(ctx context.Context, work string, stdout io.Writer) (float64, error) {
	if f.closedVUs == 0 {
		return 0, nil
	}
	m, err := f.run(ctx, work, f.search.Max, f.closedVUs)
	if err != nil {
		return 0, fmt.Errorf("closed-loop run: %w", err)
	}
	fmt.Fprintf(stdout, "  closed loop, %d VUs: %.1f %s/s, p95 %s, failed %.2f%%\n",
		f.closedVUs, m.Achieved, f.flow, m.P95.Round(time.Millisecond/10), 100*m.ErrorRate)
	if !f.startGiven && m.Achieved > 0 {
		f.search.Start = min(f.search.Max, max(1, math.Ceil(m.Achieved/4)))
	}
	return m.Achieved, nil
}

// find runs the search, printing each run as it ends.
func (f *capacityFlags) find(ctx context.Context, work string, stdout io.Writer) (capacity.Result, error) {
	probe := func(ctx context.Context, rate float64) (capacity.Measurement, error) {
		return f.run(ctx, work, rate, 0)
	}
	return f.search.Find(ctx, probe, func(r capacity.Run) {
		verdict := "ok"
		if !r.OK {
			verdict = "over: " + r.Reason
		}
		if r.Retry {
			verdict += " (retry)"
		}
		fmt.Fprintf(stdout, "  %8.1f/s  p95 %-8s failed %6.2f%%  achieved %7.1f/s  %3d VUs  client CPU %.2f  %s\n",
			r.Rate, r.P95.Round(time.Millisecond/10), 100*r.ErrorRate, r.Achieved, r.VUs, r.ClientCPU, verdict)
	})
}

// finish prints the verdict, writes --out and picks the exit status.
func (f *capacityFlags) finish(stdout io.Writer, res capacity.Result, closed float64) error {
	fmt.Fprintf(stdout, "\ncapacity: %s\n", capacity.Verdict(f.search, res, f.flow))
	if closed > 0 {
		fmt.Fprintf(stdout, "that is %.0f%% of the closed-loop throughput with %d VUs (%.1f/s)\n", 100*res.Capacity/closed, f.closedVUs, closed)
	}
	if f.out != "" {
		rep := capacity.NewReport(f.search, res, f.flow, f.script, f.warmup, f.duration)
		rep.ClosedLoopPerS, rep.ClosedLoopVUs = math.Round(closed*1000)/1000, f.closedVUs
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.WriteFile(f.out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if res.LimitedBy == capacity.LimitClient {
		return &exitError{code: ExitClientLimited, err: errors.New("the search was client-limited: the load generator, not the server, stopped it")}
	}
	return nil
}

// prepare writes the wrapper script and splits the users file, if any.
func (f *capacityFlags) prepare(work string) error {
	var err error
	if f.wrapper, err = capacity.WriteWrapper(work, f.script); err != nil {
		return err
	}
	if f.users != "" {
		if f.slices, err = capacity.NewUserSlices(f.users, work); err != nil {
			return err
		}
	}
	return nil
}

// startEmbedded starts a reference server on loopback with enough users
// that no run ever reuses a user of a run in the same TOTP step.
func (f *capacityFlags) startEmbedded(dir string) (func(), error) {
	run := (f.warmup + f.duration).Seconds()
	users := min(capacity.UsersFor(f.search.Max, 30+run, f.usersPerFlow)+100, 500_000)
	f.users = filepath.Join(dir, "users.json")
	hashed := &hashedSignal{done: make(chan struct{})}
	srv, err := refserver.New(refserver.Config{
		Users:  refserver.UsersConfig{Count: users, File: f.users},
		Logger: slog.New(hashed),
	})
	if err != nil {
		return nil, err
	}
	// The server hashes its users' passwords in the background after start:
	// a run measured meanwhile would measure that start-up work.
	select {
	case <-hashed.done:
	case <-time.After(5 * time.Minute):
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	f.target = "http://" + ln.Addr().String()
	return func() {
		_ = hs.Close()
		_ = srv.Close()
	}, nil
}

// hashedSignal is a log handler that tells when the reference server has
// hashed every load-test user's password; it logs nothing.
type hashedSignal struct {
	once sync.Once
	done chan struct{}
}

func (h *hashedSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *hashedSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *hashedSignal) WithGroup(string) slog.Handler            { return h }
func (h *hashedSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "passwords hashed") {
		h.once.Do(func() { close(h.done) })
	}
	return nil
}

// vusFor is the VUs of a run: by Little's law a rate whose flows take on
// average no longer than the SLA's p95 keeps at most rate × p95 flows in
// flight; 10 more for bursts. More VUs than needed only cost the client.
func (f *capacityFlags) vusFor(rate float64) int {
	return min(f.maxVUs, 10+int(math.Ceil(rate*f.p95.Seconds())))
}

// run runs the scenario once at rate (or, with closedVUs > 0, in a closed
// loop of that many VUs) and reads what it measured after the warm-up from
// the summary the wrapper wrote.
func (f *capacityFlags) run(ctx context.Context, dir string, rate float64, closedVUs int) (capacity.Measurement, error) {
	sum := filepath.Join(dir, fmt.Sprintf("run-%g-%d.json", rate, closedVUs))
	vus := f.vusFor(rate)
	if closedVUs > 0 {
		vus = closedVUs
	}
	cmd := exec.CommandContext(ctx, f.k6, "run", "--quiet", "--no-usage-report",
		"--summary-trend-stats="+capacity.SummaryTrendStats, f.wrapper)
	cmd.Env = append(os.Environ(),
		"AUTHFLOW_BASE_URL="+f.target, "AUTHFLOW_RATE="+strconv.FormatFloat(rate, 'f', -1, 64),
		"AUTHFLOW_DURATION="+k6Duration(f.warmup+f.duration), "AUTHFLOW_OUT="+dir,
		"AUTHFLOW_MAX_VUS="+strconv.Itoa(vus), "K6_NO_USAGE_REPORT=true")
	cmd.Env = append(cmd.Env, capacity.WrapperEnv(f.flow, f.warmup, sum)...)
	cmd.Env = append(cmd.Env, "AUTHFLOW_CAPACITY_CLOSED_VUS="+strconv.Itoa(closedVUs))
	if f.slices != nil {
		users, err := f.slices.Next(capacity.UsersFor(rate, (f.warmup + f.duration).Seconds(), f.usersPerFlow))
		if err != nil {
			return capacity.Measurement{}, err
		}
		cmd.Env = append(cmd.Env, "AUTHFLOW_USERS="+users)
	}
	cmd.Env = append(cmd.Env, f.env...)
	start := time.Now()
	output, err := cmd.CombinedOutput()
	wall := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() != k6ExitThresholds {
		return capacity.Measurement{}, fmt.Errorf("k6 exited %d:\n%s", ee.ExitCode(), tail(string(output), 20))
	} else if err != nil && !errors.As(err, &ee) {
		return capacity.Measurement{}, fmt.Errorf("k6: %w", err)
	}
	raw, err := os.ReadFile(sum)
	if err != nil {
		return capacity.Measurement{}, fmt.Errorf("reading the run's summary: %w", err)
	}
	m, err := capacity.Measure(raw, filepath.Base(sum), f.flow, rate, f.duration)
	if err != nil {
		return m, err
	}
	m.VUs = vus
	if st := cmd.ProcessState; st != nil && wall > 0 {
		m.ClientCPU = (st.UserTime() + st.SystemTime()).Seconds() / wall.Seconds()
	}
	m.Client = clientProblem(m, string(output))
	return m, nil
}

// clientProblem says why the load generator could not drive a run, if it
// could not: its CPU saturated, or its user picker ran out of users.
func clientProblem(m capacity.Measurement, output string) string {
	if cores := float64(runtime.NumCPU()); m.ClientCPU >= 0.9*cores {
		return fmt.Sprintf("k6 used %.2f of %.0f CPU cores", m.ClientCPU, cores)
	}
	if strings.Contains(output, "no user can sign in now") {
		return "the user picker ran out of users (raise --users-per-flow, or give a larger --users file)"
	}
	return ""
}

// k6Duration writes d as k6 reads it (whole milliseconds).
func k6Duration(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
