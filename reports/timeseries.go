package reports

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// tickMs is the resolution of the charts over time.
const tickMs = 100

// maxLineSize bounds one NDJSON line; k6 lines are well under a kilobyte.
const maxLineSize = 16 << 20

// DefaultTrends are the Trend metrics whose every value a TimeSeriesReader
// keeps, for exact percentiles; of other Trends it keeps count, sum, min
// and max only.
var DefaultTrends = []string{
	"http_req_duration", "authflow_step_duration", "authflow_flow_duration", "iteration_duration",
}

// TimeSeries is the aggregate of one or more k6 `--out json` files: every
// series (metric plus its full tag set) with its values, and per-second
// totals for the charts over time.
type TimeSeries struct {
	Sources    []string
	Start, End time.Time
	Points     int64
	Notes      []string

	types  map[string]string // metric name -> k6 type, from "Metric" lines
	series map[string]*series
	ticks  map[int64]*second // by tenth of a second since the epoch
}

type series struct {
	metric string
	tags   map[string]string
	values []float64 // trend values, for kept trends only
	secs   []int64   // the Unix second of each of values
	sum    float64   // counter total, rate trues, trend sum
	n      int64     // points
	min    float64
	max    float64
	first  time.Time // time of the first point
}

// second holds the totals of one tick (named for what it is summed into).
type second struct {
	reqs, flows         float64
	httpFail, httpTotal float64
	flowFail, flowTotal float64
	durations           []float64 // http_req_duration
	stepDurations       []float64 // authflow_step_duration
}

// TimeSeriesReader reads k6 NDJSON files into one TimeSeries; several files
// (one per process of a split run) merge naturally.
type TimeSeriesReader struct {
	ts   *TimeSeries
	keep map[string]bool
}

// NewTimeSeriesReader returns a reader keeping every value of the
// DefaultTrends and of the extra Trend metrics named.
func NewTimeSeriesReader(extraTrends ...string) *TimeSeriesReader {
	r := &TimeSeriesReader{
		ts: &TimeSeries{
			types:  map[string]string{},
			series: map[string]*series{},
			ticks:  map[int64]*second{},
		},
		keep: map[string]bool{},
	}
	for _, n := range append(append([]string{}, DefaultTrends...), extraTrends...) {
		r.keep[n] = true
	}
	return r
}

// LoadTimeSeries reads the named files (plain or gzipped NDJSON).
func LoadTimeSeries(paths ...string) (*TimeSeries, error) {
	r := NewTimeSeriesReader()
	for _, p := range paths {
		if err := r.ReadFile(p); err != nil {
			return nil, err
		}
	}
	return r.TimeSeries()
}

// ReadFile reads one file, gunzipping it when it starts with the gzip magic.
func (r *TimeSeriesReader) ReadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.Read(f, filepath.Base(path))
}

// Read reads one NDJSON stream; name is used in messages.
func (r *TimeSeriesReader) Read(rd io.Reader, name string) error {
	br := bufio.NewReaderSize(rd, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("timeseries %s: %w", name, err)
		}
		defer gz.Close()
		br = bufio.NewReaderSize(gz, 1<<16)
	}
	r.ts.Sources = append(r.ts.Sources, name)
	lineNo, lines := 0, 0
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			lineNo++
		}
		if errors.Is(err, errLineTooLong) {
			return fmt.Errorf("timeseries %s:%d: line longer than %d MiB; is this a k6 --out json file?", name, lineNo, maxLineSize>>20)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("timeseries %s:%d: %w", name, lineNo, err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			lines++
			if perr := r.line(trimmed); perr != nil {
				if errors.Is(err, io.EOF) && line[len(line)-1] != '\n' && lines > 1 {
					// k6 was killed mid-write: drop the torn last line.
					r.ts.Notes = append(r.ts.Notes, fmt.Sprintf("%s: ignored the incomplete last line %d.", name, lineNo))
				} else {
					return fmt.Errorf("timeseries %s:%d: %w", name, lineNo, perr)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if lines == 0 {
		return fmt.Errorf("timeseries %s: empty; expected the NDJSON file k6 writes with --out json=FILE", name)
	}
	return nil
}

var errLineTooLong = errors.New("line too long")

func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLineSize {
			return nil, errLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

type ndjsonLine struct {
	Type   string          `json:"type"`
	Metric string          `json:"metric"`
	Data   json.RawMessage `json:"data"`
}

type ndjsonPoint struct {
	Time  time.Time         `json:"time"`
	Value *float64          `json:"value"`
	Tags  map[string]string `json:"tags"`
}

func (r *TimeSeriesReader) line(b []byte) error {
	if b[0] != '{' {
		return errors.New(`not a JSON object; expected k6 --out json lines like {"type":"Point","metric":...}`)
	}
	var l ndjsonLine
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	switch l.Type {
	case "Metric":
		var d struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(l.Data, &d); err != nil {
			return fmt.Errorf("Metric %q: %v", l.Metric, err)
		}
		if d.Name == "" {
			d.Name = l.Metric
		}
		r.ts.types[d.Name] = d.Type
		return nil
	case "Point":
	case "":
		return errors.New(`no "type"; expected k6 --out json lines (type Point or Metric)`)
	default:
		return fmt.Errorf("unknown line type %q (want Point or Metric)", l.Type)
	}
	if l.Metric == "" {
		return errors.New(`a Point line without "metric"`)
	}
	var p ndjsonPoint
	if err := json.Unmarshal(l.Data, &p); err != nil {
		return fmt.Errorf("a Point line of %q: %v", l.Metric, err)
	}
	if p.Value == nil || math.IsNaN(*p.Value) || math.IsInf(*p.Value, 0) {
		return fmt.Errorf("a Point line of %q: no numeric value", l.Metric)
	}
	if p.Time.IsZero() {
		return fmt.Errorf("a Point line of %q: no time", l.Metric)
	}
	r.add(l.Metric, p.Time, *p.Value, p.Tags)
	return nil
}

func (r *TimeSeriesReader) add(metric string, t time.Time, v float64, tags map[string]string) {
	ts := r.ts
	ts.Points++
	if ts.Start.IsZero() || t.Before(ts.Start) {
		ts.Start = t
	}
	if t.After(ts.End) {
		ts.End = t
	}
	key := seriesKey(metric, tags)
	s := ts.series[key]
	if s == nil {
		s = &series{metric: metric, tags: tags, min: v, max: v, first: t}
		ts.series[key] = s
	}
	if t.Before(s.first) {
		s.first = t
	}
	s.n++
	s.sum += v
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	if r.keep[metric] {
		s.values = append(s.values, v)
		s.secs = append(s.secs, t.Unix())
	}
	tick := t.UnixMilli() / tickMs
	sec := ts.ticks[tick]
	if sec == nil {
		sec = &second{}
		ts.ticks[tick] = sec
	}
	switch metric {
	case "http_reqs":
		sec.reqs += v
	case "authflow_flows":
		sec.flows += v
	case "http_req_failed":
		sec.httpFail += v
		sec.httpTotal++
	case "authflow_flow_failed":
		sec.flowFail += v
		sec.flowTotal++
	case "http_req_duration":
		sec.durations = append(sec.durations, v)
	case "authflow_step_duration":
		sec.stepDurations = append(sec.stepDurations, v)
	}
}

func seriesKey(metric string, tags map[string]string) string {
	var b strings.Builder
	b.WriteString(metric)
	for _, k := range sortedKeys(tags) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
	}
	return b.String()
}

// TimeSeries returns what was read; an error if nothing was.
func (r *TimeSeriesReader) TimeSeries() (*TimeSeries, error) {
	if r.ts.Points == 0 {
		return nil, fmt.Errorf("timeseries %s: no Point lines", strings.Join(r.ts.Sources, ", "))
	}
	return r.ts, nil
}

// Duration is the time between the first and last point.
func (ts *TimeSeries) Duration() time.Duration { return ts.End.Sub(ts.Start) }

// Type is the k6 type of a metric as its "Metric" line said, or "".
func (ts *TimeSeries) Type(metric string) string { return ts.types[metric] }

// matches reports whether tags hold every selector tag.
func matches(tags, sel map[string]string) bool {
	for k, v := range sel {
		if tv, ok := tags[k]; !ok || tv != v {
			return false
		}
	}
	return true
}

// Values returns all kept values of metric in series matching sel, and
// whether the metric's values were kept at all.
func (ts *TimeSeries) Values(metric string, sel map[string]string) ([]float64, bool) {
	var out []float64
	kept := false
	for _, s := range ts.series {
		if s.metric != metric || !matches(s.tags, sel) {
			continue
		}
		if s.values == nil && s.n > 0 {
			return nil, false
		}
		kept = true
		out = append(out, s.values...)
	}
	return out, kept
}

// BySecond returns the kept values of metric in series matching sel,
// grouped by the second they were recorded in (a Unix second per group).
func (ts *TimeSeries) BySecond(metric string, sel map[string]string) map[int64][]float64 {
	out := map[int64][]float64{}
	for _, s := range ts.series {
		if s.metric != metric || !matches(s.tags, sel) {
			continue
		}
		for i, v := range s.values {
			out[s.secs[i]] = append(out[s.secs[i]], v)
		}
	}
	return out
}

// Sum returns the sum of values and the number of points of metric in
// series matching sel: a counter's total, or a rate's trues and total.
func (ts *TimeSeries) Sum(metric string, sel map[string]string) (sum float64, n int64) {
	for _, s := range ts.series {
		if s.metric == metric && matches(s.tags, sel) {
			sum += s.sum
			n += s.n
		}
	}
	return sum, n
}

// Has reports whether any point of metric was read.
func (ts *TimeSeries) Has(metric string) bool {
	for _, s := range ts.series {
		if s.metric == metric {
			return true
		}
	}
	return false
}

// TagValues returns the distinct value tuples of the given tags among the
// series of metric that have all of them set, sorted.
func (ts *TimeSeries) TagValues(metric string, keys ...string) [][]string {
	seen := map[string][]string{}
	for _, s := range ts.series {
		if s.metric != metric {
			continue
		}
		tuple := make([]string, len(keys))
		ok := true
		for i, k := range keys {
			tuple[i] = s.tags[k]
			if tuple[i] == "" {
				ok = false
				break
			}
		}
		if ok {
			seen[strings.Join(tuple, "\x00")] = tuple
		}
	}
	out := make([][]string, 0, len(seen))
	for _, k := range sortedKeys(seen) {
		out = append(out, seen[k])
	}
	return out
}

// FirstSeen returns when the first point of metric matching sel was
// recorded; zero if none was.
func (ts *TimeSeries) FirstSeen(metric string, sel map[string]string) time.Time {
	var first time.Time
	for _, s := range ts.series {
		if s.metric == metric && matches(s.tags, sel) && (first.IsZero() || s.first.Before(first)) {
			first = s.first
		}
	}
	return first
}

// TrendStats computes k6's trend statistics of values: avg, min, med, max,
// count and the percentiles asked, with k6's interpolation. values is
// sorted in place.
func TrendStats(values []float64, percentiles ...float64) map[string]float64 {
	out := map[string]float64{"count": float64(len(values))}
	if len(values) == 0 {
		return out
	}
	sort.Float64s(values)
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	out["avg"] = sum / float64(len(values))
	out["min"] = values[0]
	out["max"] = values[len(values)-1]
	out["med"] = Percentile(values, 0.5)
	for _, p := range percentiles {
		out[pKey(p)] = Percentile(values, p/100)
	}
	return out
}

// Percentile is k6's TrendSink.P on sorted values: linear interpolation
// between the closest ranks, pct in [0,1].
func Percentile(sorted []float64, pct float64) float64 {
	switch len(sorted) {
	case 0:
		return 0
	case 1:
		return sorted[0]
	}
	i := pct * (float64(len(sorted)) - 1)
	j := sorted[int(math.Floor(i))]
	k := sorted[int(math.Ceil(i))]
	f := i - math.Floor(i)
	return j + (k-j)*f
}

func pKey(p float64) string {
	return "p(" + strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", p), "0"), ".") + ")"
}
