package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/authflow/authflow/conformance"
	"github.com/authflow/authflow/reports"
)

func init() {
	register(command{
		name:    "report",
		summary: "turn k6 summaries, time series and conformance results into HTML, Markdown and JUnit",
		run:     runReport,
	})
}

const reportUsage = `Usage: authflow report --summary FILE [--summary FILE ...] --out DIR [flags]

Turns the results of a k6 load run and of 'authflow conform' into:
  DIR/index.html   one self-contained page with charts (opens offline)
  DIR/summary.md   Markdown for a CI job summary or a pull-request comment
  DIR/junit.xml    JUnit XML: one test per k6 threshold and per conformance check

The summary is the JSON your k6 script writes in handleSummary:
  export function handleSummary(data) {
    return { 'summary.json': JSON.stringify(data) };
  }
(k6 --summary-export files and K6_NEW_MACHINE_READABLE_SUMMARY=true output
are read too.) For per-step numbers of every step and charts over time, also
run k6 with --out json=run.ndjson and pass that file with --timeseries.

Inputs:
  --summary FILE        k6 summary JSON; repeat it for each process of a run
                        split with --execution-segment: they are merged
  --timeseries FILE     k6 --out json file (NDJSON, may be .gz) of the same
                        run; repeat it, one per process
  --conformance FILE    JSON report written by 'authflow conform'

Comparison with an earlier run:
  --baseline FILE       summary of the baseline run (repeatable, like --summary)
  --baseline-timeseries FILE
                        its time series (repeatable); with the time series of
                        both runs their samples are compared
  --tolerance PCT       how much worse than the baseline p50, p95 or failure
                        rate may be before it is a regression (default 10%)
  --floor DURATION      ignore latency changes smaller than this (default 1ms)
  --rate-floor PCT      ignore failure-rate changes smaller than this many
                        percentage points (default 0, e.g. 0.5%)
  --alpha P             a change between the samples of the two runs counts
                        only when a significance test says p < P (default
                        0.05): Mann-Whitney U on the per-second medians (p50)
                        and p95s of the latencies of each step, flow and
                        overall, two-proportion z-test on failure counts. Two
                        runs of one build differ by noise; noise is "no
                        significant change". With summaries only (no time
                        series) there are no latency samples: the aggregates
                        are compared, and only the tolerance and floors decide
  --fail-on-regression  exit 1 when any regression is found

Output:
  --out DIR             directory to write into (created if missing)
  --title TEXT          title of the report (default "authflow report")

Exit status: 0 when the report was written; 1 with --fail-on-regression
when a regression was found, or when writing failed; 2 for bad flags or an
input file that cannot be read.

Examples:
  authflow report --summary summary.json --out report
  authflow report --summary part1.json --summary part2.json \
      --timeseries part1.ndjson --timeseries part2.ndjson \
      --conformance conformance.json --out report
  authflow report --summary new.json --timeseries new.ndjson \
      --baseline main.json --baseline-timeseries main.ndjson \
      --tolerance 10% --fail-on-regression --out report
`

// reportList is a repeatable string flag.
type reportList []string

func (l *reportList) String() string { return strings.Join(*l, ",") }
func (l *reportList) Set(v string) error {
	if v == "" {
		return errors.New("empty file name")
	}
	*l = append(*l, v)
	return nil
}

// reportPercent parses "10%", "10" (percent) or "0.1%" into a fraction.
type reportPercent struct{ v float64 }

func (p *reportPercent) String() string { return strconv.FormatFloat(p.v*100, 'f', -1, 64) + "%" }
func (p *reportPercent) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || f < 0 || f > 10000 {
		return fmt.Errorf("want a percentage such as 10%% or 0.5%%, got %q", s)
	}
	p.v = f / 100
	return nil
}

// reportMs parses a duration ("5ms", "0.5s") or a plain number of ms.
type reportMs struct{ ms float64 }

func (m *reportMs) String() string { return strconv.FormatFloat(m.ms, 'f', -1, 64) + "ms" }
func (m *reportMs) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		m.ms = f
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as 5ms, got %q", s)
	}
	m.ms = float64(d) / float64(time.Millisecond)
	return nil
}

type reportFlags struct {
	summaries, timeseries, baseline, baselineTS reportList
	conformance, out, title                     string
	tolerance, rateFloor                        reportPercent
	floor                                       reportMs
	alpha                                       float64
	failOnRegression                            bool
}

func runReport(args []string, stdout, stderr io.Writer) error {
	f := reportFlags{tolerance: reportPercent{0.10}, floor: reportMs{1}}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&f.summaries, "summary", "")
	fs.Var(&f.timeseries, "timeseries", "")
	fs.StringVar(&f.conformance, "conformance", "", "")
	fs.Var(&f.baseline, "baseline", "")
	fs.Var(&f.baselineTS, "baseline-timeseries", "")
	fs.Var(&f.tolerance, "tolerance", "")
	fs.Var(&f.floor, "floor", "")
	fs.Var(&f.rateFloor, "rate-floor", "")
	fs.Float64Var(&f.alpha, "alpha", reports.DefaultAlpha, "")
	fs.BoolVar(&f.failOnRegression, "fail-on-regression", false, "")
	fs.StringVar(&f.out, "out", "", "")
	fs.StringVar(&f.title, "title", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, reportUsage)
			return nil
		}
		return usageError(fmt.Errorf("%v (see authflow report --help)", err))
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Errorf("unexpected argument %q: input files go after --summary, --timeseries or --conformance (see authflow report --help)", fs.Arg(0)))
	}
	if f.out == "" {
		return usageError(errors.New("--out DIR is required (see authflow report --help)"))
	}
	if len(f.summaries) == 0 && f.conformance == "" {
		return usageError(errors.New("nothing to report: give --summary and/or --conformance (see authflow report --help)"))
	}
	if len(f.timeseries) > 0 && len(f.summaries) == 0 {
		return usageError(errors.New("--timeseries needs the run's --summary too"))
	}
	if len(f.baselineTS) > 0 && len(f.baseline) == 0 {
		return usageError(errors.New("--baseline-timeseries needs --baseline"))
	}
	if f.alpha <= 0 || f.alpha >= 1 {
		return usageError(fmt.Errorf("--alpha %g: want a p-value threshold between 0 and 1, such as 0.05", f.alpha))
	}
	if len(f.baseline) > 0 && len(f.summaries) == 0 {
		return usageError(errors.New("--baseline needs a --summary to compare with"))
	}

	in, err := loadReportInput(f)
	if err != nil {
		return usageError(err)
	}
	m, err := reports.Build(in, reports.Options{
		Tolerance:        f.tolerance.v,
		FloorMs:          f.floor.ms,
		RateFloor:        f.rateFloor.v,
		Alpha:            f.alpha,
		FailOnRegression: f.failOnRegression,
		Generated:        time.Now(),
	})
	if err != nil {
		return usageError(err)
	}
	paths, err := reports.WriteDir(f.out, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s\n", m.Verdict.Status, m.Verdict.Headline)
	if c := m.Comparison; c != nil {
		fmt.Fprintf(stdout, "comparison with the baseline: %s (%s)\n", c.Headline(), c.Method())
	}
	for _, p := range paths {
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	if f.failOnRegression && m.Comparison != nil && m.Comparison.Regressions > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d regressions vs the baseline", m.Comparison.Regressions)}
	}
	return nil
}

func loadReportInput(f reportFlags) (reports.Input, error) {
	in := reports.Input{Title: f.title}
	var err error
	if in.Runs, err = loadReportSummaries(f.summaries); err != nil {
		return in, err
	}
	if in.TimeSeries, err = loadReportTimeSeries(f.timeseries, in.Runs); err != nil {
		return in, err
	}
	if in.Baseline, err = loadReportSummaries(f.baseline); err != nil {
		return in, fmt.Errorf("baseline: %w", err)
	}
	if in.BaselineTimeSeries, err = loadReportTimeSeries(f.baselineTS, in.Baseline); err != nil {
		return in, fmt.Errorf("baseline: %w", err)
	}
	if f.conformance != "" {
		var r *conformance.Report
		if r, err = reports.LoadConformance(f.conformance); err != nil {
			return in, err
		}
		in.Conformance, in.ConformanceSource = r, filepath.Base(f.conformance)
	}
	return in, nil
}

func loadReportSummaries(paths []string) ([]*reports.Summary, error) {
	var out []*reports.Summary
	for _, p := range paths {
		s, err := reports.LoadSummary(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// loadReportTimeSeries reads the files. When summaries of a split run are to be
// merged it keeps every value of all their Trends, so merged Trends are
// exact; otherwise only those the report shows.
func loadReportTimeSeries(paths []string, summaries []*reports.Summary) (*reports.TimeSeries, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	var trends []string
	seen := map[string]bool{}
	for _, s := range summaries {
		if len(summaries) < 2 {
			break
		}
		for _, m := range s.Metrics {
			if m.Type == reports.Trend && !seen[m.Base] {
				seen[m.Base] = true
				trends = append(trends, m.Base)
			}
		}
	}
	r := reports.NewTimeSeriesReader(trends...)
	for _, p := range paths {
		if err := r.ReadFile(p); err != nil {
			return nil, err
		}
	}
	return r.TimeSeries()
}
