package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authflow/authflow/capacity"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/reports"
)

func init() {
	register(command{name: "capacity", summary: "find the highest rate a flow sustains within an SLA (runs bin/k6 again and again)", run: runCapacity})
}

// k6 exit codes the capacity search tells apart: a crossed threshold is a
// measurement (the rate was too high), anything else means k6 itself failed.
const (
	k6ExitOK         = 0
	k6ExitThresholds = 99
)

type capacityFlags struct {
	k6, script, flow, target, users, duration, out string
	search                                         capacity.Search
	p95                                            time.Duration
	env                                            listFlag
}

func parseCapacityFlags(args []string, stderr io.Writer) (*capacityFlags, error) {
	f := &capacityFlags{}
	fs := flag.NewFlagSet("authflow capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: authflow capacity [flags]

Finds the highest arrival rate of one flow that the target sustains within an
SLA (p95 of the flow's duration, share of failed flows, and at least 95% of
the asked-for flows actually started), the way Keycloak's benchmark reports
logins per second. It runs a k6 scenario again and again: growing the rate by
--factor while the SLA holds, then bisecting between the last rate that held
and the first that did not, until they are within --precision.

The scenario must take its rate from AUTHFLOW_RATE and declare thresholds on
authflow_flow_duration{flow:F} and authflow_flow_failed{flow:F} (every script
in scenarios/ does). Without --target, an embedded reference server is
started on loopback with enough users for the highest rate.

Examples:
  authflow capacity                                    # TOTP sign-ins, embedded server
  authflow capacity --script scenarios/signin_load.js --flow signin --p95 200ms
  authflow capacity --target https://staging.example.com --users users.json --max 500

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.k6, "k6", "bin/k6", "the k6 `binary` built with the authflow extension (make build)")
	fs.StringVar(&f.script, "script", "scenarios/totp.js", "the k6 `scenario` to run at each rate")
	fs.StringVar(&f.flow, "flow", "signin_totp", "the `flow` whose latency and failures the SLA is about")
	fs.StringVar(&f.target, "target", "", "base `URL` of the API under test; empty starts an embedded reference server")
	fs.StringVar(&f.users, "users", "", "user `file` for the target (AUTHFLOW_USERS); the embedded server writes its own")
	fs.StringVar(&f.duration, "duration", "20s", "how long each run holds its rate (a k6 `duration`)")
	fs.StringVar(&f.out, "out", "", "write the runs and the result as JSON to this `file`")
	fs.Float64Var(&f.search.Start, "start", 5, "first `rate` tried, flows per second")
	fs.Float64Var(&f.search.Max, "max", 1000, "highest `rate` ever tried")
	fs.Float64Var(&f.search.Factor, "factor", 2, "rate growth `factor` while the SLA holds")
	fs.Float64Var(&f.search.Precision, "precision", 0.1, "stop when the last good and first bad rates are within this `fraction`")
	fs.IntVar(&f.search.MaxRuns, "max-runs", 12, "never more than `N` runs")
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
	fmt.Fprintf(stdout, "capacity of flow %s (%s), SLA p95 <= %s, failures <= %.2f%%, %s a run\n",
		f.flow, f.script, f.p95, 100*f.search.SLA.ErrorRate, f.duration)

	probe := func(ctx context.Context, rate float64) (capacity.Measurement, error) {
		return f.probe(ctx, work, rate)
	}
	res, err := f.search.Find(ctx, probe, func(r capacity.Run) {
		verdict := "ok"
		if !r.OK {
			verdict = "over: " + r.Reason
		}
		fmt.Fprintf(stdout, "  %8.1f/s  p95 %-8s failed %6.2f%%  achieved %7.1f/s  %s\n",
			r.Rate, r.P95.Round(time.Millisecond), 100*r.ErrorRate, r.Achieved, verdict)
	})
	if err != nil {
		return err
	}
	printCapacity(stdout, f, res)
	if f.out != "" {
		b, _ := json.MarshalIndent(map[string]any{"flow": f.flow, "script": f.script, "sla": f.search.SLA, "result": res}, "", "  ")
		if err := os.WriteFile(f.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printCapacity(w io.Writer, f *capacityFlags, res capacity.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch {
	case res.Capacity == 0:
		fmt.Fprintf(tw, "\ncapacity: below %.4g %s/s (the first rate tried already broke the SLA)\n", f.search.Start, f.flow)
	case res.Limit == 0:
		fmt.Fprintf(tw, "\ncapacity: at least %.4g %s/s (the SLA held up to --max)\n", res.Capacity, f.flow)
	default:
		fmt.Fprintf(tw, "\ncapacity: %.4g %s/s within the SLA (broken at %.4g/s), %d runs\n", res.Capacity, f.flow, res.Limit, len(res.Runs))
	}
}

// startEmbedded starts a reference server on loopback with enough users
// that TOTP replay protection never limits the highest rate tried.
func (f *capacityFlags) startEmbedded(dir string) (func(), error) {
	users := min(int(f.search.Max*30*1.5)+100, 200_000)
	f.users = filepath.Join(dir, "users.json")
	srv, err := refserver.New(refserver.Config{Users: refserver.UsersConfig{Count: users, File: f.users}})
	if err != nil {
		return nil, err
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

// probe runs the scenario once at rate and reads what it measured from the
// summary its handleSummary wrote.
func (f *capacityFlags) probe(ctx context.Context, dir string, rate float64) (capacity.Measurement, error) {
	sum := filepath.Join(dir, fmt.Sprintf("run-%g.json", rate))
	cmd := exec.CommandContext(ctx, f.k6, "run", "--quiet", "--no-usage-report",
		"--summary-trend-stats=avg,min,med,max,p(90),p(95),count", f.script)
	cmd.Env = append(os.Environ(),
		"AUTHFLOW_BASE_URL="+f.target, "AUTHFLOW_RATE="+strconv.FormatFloat(rate, 'f', -1, 64),
		"AUTHFLOW_DURATION="+f.duration, "AUTHFLOW_SUMMARY="+sum, "AUTHFLOW_OUT="+dir,
		"AUTHFLOW_MAX_VUS="+strconv.Itoa(max(50, int(rate*4))), "K6_NO_USAGE_REPORT=true")
	if f.users != "" {
		cmd.Env = append(cmd.Env, "AUTHFLOW_USERS="+f.users)
	}
	cmd.Env = append(cmd.Env, f.env...)
	output, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() != k6ExitThresholds {
		return capacity.Measurement{}, fmt.Errorf("k6 exited %d:\n%s", ee.ExitCode(), tail(string(output), 20))
	} else if err != nil && !errors.As(err, &ee) {
		return capacity.Measurement{}, fmt.Errorf("k6: %w", err)
	}
	s, err := reports.LoadSummary(sum)
	if err != nil {
		return capacity.Measurement{}, fmt.Errorf("reading the run's summary: %w", err)
	}
	return measure(s, f.flow, rate)
}

// measure extracts the flow's p95, failure rate, count and achieved rate.
func measure(s *reports.Summary, flow string, rate float64) (capacity.Measurement, error) {
	m := capacity.Measurement{Rate: rate}
	dur, ok := s.Metrics["authflow_flow_duration{flow:"+flow+"}"]
	if !ok {
		return m, fmt.Errorf("the summary has no authflow_flow_duration{flow:%s}: does the scenario run that flow and declare a threshold on it?", flow)
	}
	p95, _ := dur.Value("p(95)")
	count, _ := dur.Value("count")
	m.P95 = time.Duration(p95 * float64(time.Millisecond))
	m.Flows = int64(count)
	if failed, ok := s.Metrics["authflow_flow_failed{flow:"+flow+"}"]; ok {
		m.ErrorRate, _ = failed.Value("rate")
	}
	iters, _ := s.Metrics["iterations"].Value("count")
	dropped, _ := s.Metrics["dropped_iterations"].Value("count")
	m.Achieved = rate
	if iters+dropped > 0 {
		m.Achieved = rate * iters / (iters + dropped)
	}
	return m, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
