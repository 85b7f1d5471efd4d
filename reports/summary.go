package reports

import (
	"bytes"
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

// Summary formats ParseSummary understands.
const (
	// FormatHandleSummary is the data object k6 passes to handleSummary
	// (the default in k6 v2): metrics keyed by name with type, contains,
	// values and thresholds {source: {ok}}, root_group, options, state.
	FormatHandleSummary = "handleSummary"
	// FormatMachineReadable is what handleSummary receives when k6 runs with
	// K6_NEW_MACHINE_READABLE_SUMMARY=true: {config, metadata, results:
	// {checks, metrics: [...]}, version}. It carries no thresholds.
	FormatMachineReadable = "machine-readable"
	// FormatSummaryExport is the legacy `k6 run --summary-export FILE`
	// shape: flat values per metric, thresholds {source: failed}, no state.
	FormatSummaryExport = "summary-export"
)

// Metric types, as k6 names them.
const (
	Counter = "counter"
	Gauge   = "gauge"
	Rate    = "rate"
	Trend   = "trend"
)

// maxSummarySize bounds what LoadSummary reads; real summaries are a few
// hundred kilobytes.
const maxSummarySize = 256 << 20

// Summary is one k6 end-of-test summary, normalised to one shape whatever
// format it came in.
type Summary struct {
	Source string // file name, for messages and the report
	Format string // one of the Format constants; "merged" after MergeSummaries
	// Duration is the test run duration; zero when the file does not say
	// and it could not be derived from a counter's count and rate.
	Duration time.Duration
	// Metrics by name as k6 writes it, submetrics included
	// ("http_req_duration{step:credentials}").
	Metrics map[string]*Metric
	// Checks are the k6 checks of all groups, in file order.
	Checks []Check
	// Parts are the summaries a merged summary was made of.
	Parts []*Summary
	// Notes say what is approximate or missing.
	Notes []string
}

// Metric is one k6 metric or submetric of a summary.
type Metric struct {
	Name string // as in the summary, e.g. "http_req_duration{step:credentials}"
	Base string // the parent metric name, e.g. "http_req_duration"
	// Tags is the submetric selector ({step: credentials}); nil for a
	// parent metric.
	Tags     map[string]string
	Type     string // Counter, Gauge, Rate or Trend
	Contains string // "default", "time" or "data"
	// Values uses k6's handleSummary keys whatever the input format:
	// count and rate (counter); rate, passes and fails (rate); value, min
	// and max (gauge); avg, min, med, max, count and p(N) (trend).
	Values     map[string]float64
	Thresholds []Threshold
	// Approx is set on a merged Trend whose median and percentiles are
	// estimates (see the package documentation).
	Approx bool
	// Exact is set on a merged Trend recomputed from the time series.
	Exact bool
}

// Threshold is one threshold expression on a metric and whether it held.
type Threshold struct {
	Source string // "p(95)<500"
	OK     bool
	// Reevaluated is set when OK was computed from merged values rather
	// than taken from k6.
	Reevaluated bool
}

// Check is one k6 check (not a conformance check).
type Check struct {
	Path   string // "::group::name"
	Name   string
	Passes int64
	Fails  int64
}

// Value returns the named value and whether the metric has it.
func (m *Metric) Value(key string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	v, ok := m.Values[key]
	return v, ok
}

// LoadSummary reads and parses a summary file.
func LoadSummary(path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSummarySize+1))
	if err != nil {
		return nil, fmt.Errorf("summary %s: %w", path, err)
	}
	if len(data) > maxSummarySize {
		return nil, fmt.Errorf("summary %s: larger than %d MiB; is this a --out json time series? pass it with --timeseries", path, maxSummarySize>>20)
	}
	return ParseSummary(data, filepath.Base(path))
}

// ErrNotSummary is wrapped by ParseSummary errors for input that is JSON
// but not a k6 summary.
var ErrNotSummary = errors.New("not a k6 summary")

// ParseSummary decodes a k6 summary in any of the supported formats; name is
// used in error messages and the report.
func ParseSummary(data []byte, name string) (*Summary, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("summary %s: "+format, append([]any{name}, args...)...)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fail("empty file")
	}
	if trimmed[0] != '{' {
		return nil, fail("%w: expected a JSON object, the output of JSON.stringify(data) in handleSummary", ErrNotSummary)
	}
	if looksLikeNDJSON(trimmed) {
		return nil, fail("%w: this looks like a k6 --out json time series; pass it with --timeseries", ErrNotSummary)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, fail("invalid JSON: %v", jsonErr(trimmed, err))
	}
	s := &Summary{Source: name, Metrics: map[string]*Metric{}}
	var err error
	switch {
	case top["results"] != nil && top["metrics"] == nil:
		s.Format = FormatMachineReadable
		err = s.parseMachineReadable(top)
	case top["metrics"] != nil:
		err = s.parseLegacy(top)
	default:
		return nil, fail(`%w: no "metrics" object; expected the JSON your script's handleSummary writes with JSON.stringify(data)`, ErrNotSummary)
	}
	if err != nil {
		return nil, fail("%w", err)
	}
	if s.Duration == 0 {
		s.Duration = durationFromCounters(s.Metrics)
	}
	return s, nil
}

func looksLikeNDJSON(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) == len(bytes.TrimSpace(b)) {
		return false
	}
	var probe struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(line, &probe) == nil && (probe.Type == "Point" || probe.Type == "Metric")
}

// jsonErr adds a line number to JSON syntax errors.
func jsonErr(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(data)) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		return fmt.Errorf("line %d: %v", line, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Offset <= int64(len(data)) {
		line := 1 + bytes.Count(data[:te.Offset], []byte("\n"))
		return fmt.Errorf("line %d: %v", line, err)
	}
	return err
}

// parseLegacy reads the handleSummary data object and the --summary-export
// file, which differ in where values and thresholds live.
func (s *Summary) parseLegacy(top map[string]json.RawMessage) error {
	var metrics map[string]json.RawMessage
	if err := json.Unmarshal(top["metrics"], &metrics); err != nil || metrics == nil {
		return fmt.Errorf(`%w: "metrics" must be an object of metrics by name`, ErrNotSummary)
	}
	s.Format = FormatSummaryExport
	if top["state"] != nil || top["options"] != nil {
		s.Format = FormatHandleSummary
	}
	if raw := top["state"]; raw != nil {
		var state struct {
			TestRunDurationMs *float64 `json:"testRunDurationMs"`
		}
		if err := json.Unmarshal(raw, &state); err != nil {
			return fmt.Errorf(`"state": %v`, err)
		}
		if d := state.TestRunDurationMs; d != nil && *d > 0 && !math.IsInf(*d, 0) && *d < 1e12 {
			s.Duration = time.Duration(*d * float64(time.Millisecond))
		}
	}
	for _, name := range sortedKeys(metrics) {
		raw := metrics[name]
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return fmt.Errorf("metric %q: expected an object", name)
		}
		m, err := newMetric(name)
		if err != nil {
			return err
		}
		if _, ok := obj["values"]; ok || obj["type"] != nil {
			// handleSummary: {type, contains, values, thresholds: {src: {ok}}}
			s.Format = FormatHandleSummary
			if raw := obj["type"]; raw != nil {
				if err := json.Unmarshal(raw, &m.Type); err != nil {
					return fmt.Errorf("metric %q: type: want a string", name)
				}
			}
			if raw := obj["contains"]; raw != nil {
				_ = json.Unmarshal(raw, &m.Contains)
			}
			if m.Values, err = numbers(obj["values"]); err != nil {
				return fmt.Errorf("metric %q: values: %v", name, err)
			}
			if raw := obj["thresholds"]; raw != nil && string(raw) != "null" {
				var ths map[string]struct {
					OK *bool `json:"ok"`
				}
				if err := json.Unmarshal(raw, &ths); err != nil {
					return fmt.Errorf("metric %q: thresholds: want {\"expression\": {\"ok\": bool}}: %v", name, err)
				}
				for _, src := range sortedKeys(ths) {
					if ths[src].OK == nil {
						return fmt.Errorf("metric %q: threshold %q has no \"ok\"", name, src)
					}
					m.Thresholds = append(m.Thresholds, Threshold{Source: src, OK: *ths[src].OK})
				}
			}
		} else {
			// --summary-export: flat values; thresholds {src: failed}.
			if raw := obj["thresholds"]; raw != nil {
				var ths map[string]bool
				if err := json.Unmarshal(raw, &ths); err != nil {
					return fmt.Errorf("metric %q: thresholds: want {\"expression\": failed}: %v", name, err)
				}
				for _, src := range sortedKeys(ths) {
					m.Thresholds = append(m.Thresholds, Threshold{Source: src, OK: !ths[src]})
				}
				delete(obj, "thresholds")
			}
			flat, _ := json.Marshal(obj)
			if m.Values, err = numbers(flat); err != nil {
				return fmt.Errorf("metric %q: %v", name, err)
			}
			m.Type = inferType(m.Values)
			if v, ok := m.Values["value"]; ok && m.Type == Rate {
				m.Values["rate"] = v
				delete(m.Values, "value")
			}
		}
		if err := m.validate(); err != nil {
			return err
		}
		s.Metrics[name] = m
	}
	if raw := top["root_group"]; raw != nil && string(raw) != "null" {
		if err := s.parseGroup(raw, 0); err != nil {
			return fmt.Errorf("root_group: %v", err)
		}
	}
	return nil
}

// parseGroup collects checks from root_group; handleSummary has arrays of
// groups and checks, --summary-export has objects keyed by name.
func (s *Summary) parseGroup(raw json.RawMessage, depth int) error {
	if depth > 64 {
		return errors.New("groups nested too deep")
	}
	var g struct {
		Groups json.RawMessage `json:"groups"`
		Checks json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	type check struct {
		Name   string  `json:"name"`
		Path   string  `json:"path"`
		Passes float64 `json:"passes"`
		Fails  float64 `json:"fails"`
	}
	var checks []check
	if err := listOrMap(g.Checks, &checks); err != nil {
		return fmt.Errorf("checks: %v", err)
	}
	for _, c := range checks {
		if c.Passes < 0 || c.Fails < 0 || c.Passes > 1e15 || c.Fails > 1e15 {
			return fmt.Errorf("check %q: bad passes/fails", c.Name)
		}
		s.Checks = append(s.Checks, Check{Path: c.Path, Name: c.Name, Passes: int64(c.Passes), Fails: int64(c.Fails)})
	}
	var groups []json.RawMessage
	if err := listOrMap(g.Groups, &groups); err != nil {
		return fmt.Errorf("groups: %v", err)
	}
	for _, sub := range groups {
		if err := s.parseGroup(sub, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// listOrMap decodes a JSON array, or the values of a JSON object in key
// order, into *[]T.
func listOrMap[T any](raw json.RawMessage, out *[]T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '[' {
		return json.Unmarshal(raw, out)
	}
	var m map[string]T
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for _, k := range sortedKeys(m) {
		*out = append(*out, m[k])
	}
	return nil
}

func (s *Summary) parseMachineReadable(top map[string]json.RawMessage) error {
	var doc struct {
		Config struct {
			Duration *float64 `json:"duration"` // seconds
		} `json:"config"`
		Results struct {
			Checks *struct {
				Results []struct {
					Name   string  `json:"name"`
					Passes float64 `json:"passes"`
					Fails  float64 `json:"fails"`
				} `json:"results"`
			} `json:"checks"`
			Metrics []struct {
				Name     string          `json:"name"`
				Type     string          `json:"type"`
				Contains string          `json:"contains"`
				Values   json.RawMessage `json:"values"`
			} `json:"metrics"`
		} `json:"results"`
	}
	all, _ := json.Marshal(top)
	if err := json.Unmarshal(all, &doc); err != nil {
		return fmt.Errorf("machine-readable summary: %v", err)
	}
	if d := doc.Config.Duration; d != nil && *d > 0 && *d < 1e9 {
		s.Duration = time.Duration(*d * float64(time.Second))
	}
	for i, mm := range doc.Results.Metrics {
		if mm.Name == "" {
			return fmt.Errorf("results.metrics[%d]: no name", i)
		}
		m, err := newMetric(mm.Name)
		if err != nil {
			return err
		}
		m.Type, m.Contains = mm.Type, mm.Contains
		vals, err := numbers(mm.Values)
		if err != nil {
			return fmt.Errorf("metric %q: values: %v", mm.Name, err)
		}
		m.Values = map[string]float64{}
		for k, v := range vals {
			switch {
			case m.Type == Rate && k == "matches":
				m.Values["passes"] = v
			case m.Type == Rate && k == "total":
			case m.Type == Trend && len(k) > 1 && k[0] == 'p' && k[1] >= '0' && k[1] <= '9':
				// p90 -> p(90); p999 cannot be told from p99.9, keep as is
				m.Values["p("+k[1:]+")"] = v
			default:
				m.Values[k] = v
			}
		}
		if m.Type == Rate {
			if total, ok := vals["total"]; ok {
				m.Values["fails"] = total - vals["matches"]
			}
		}
		if err := m.validate(); err != nil {
			return err
		}
		if _, dup := s.Metrics[mm.Name]; dup {
			return fmt.Errorf("metric %q appears twice", mm.Name)
		}
		s.Metrics[mm.Name] = m
	}
	if doc.Results.Checks != nil {
		for _, c := range doc.Results.Checks.Results {
			if c.Passes < 0 || c.Fails < 0 || c.Passes > 1e15 || c.Fails > 1e15 {
				return fmt.Errorf("check %q: bad passes/fails", c.Name)
			}
			s.Checks = append(s.Checks, Check{Path: "::" + c.Name, Name: c.Name, Passes: int64(c.Passes), Fails: int64(c.Fails)})
		}
	}
	s.Notes = append(s.Notes, s.Source+": k6's machine-readable summary carries no threshold results.")
	return nil
}

func newMetric(name string) (*Metric, error) {
	base, tags, err := ParseMetricName(name)
	if err != nil {
		return nil, err
	}
	return &Metric{Name: name, Base: base, Tags: tags}, nil
}

func (m *Metric) validate() error {
	switch m.Type {
	case Counter, Gauge, Rate, Trend:
	case "":
		return fmt.Errorf("metric %q: no type", m.Name)
	default:
		return fmt.Errorf("metric %q: unknown type %q (want counter, gauge, rate or trend)", m.Name, m.Type)
	}
	if m.Contains == "" {
		m.Contains = "default"
	}
	if m.Values == nil {
		m.Values = map[string]float64{}
	}
	for k, v := range m.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m.Values, k)
		}
		if (k == "count" || k == "passes" || k == "fails") && v < 0 {
			return fmt.Errorf("metric %q: %s is negative", m.Name, k)
		}
	}
	return nil
}

func inferType(v map[string]float64) string {
	_, hasAvg := v["avg"]
	_, hasMed := v["med"]
	_, hasPasses := v["passes"]
	_, hasCount := v["count"]
	_, hasValue := v["value"]
	_, hasMin := v["min"]
	switch {
	case hasAvg || hasMed:
		return Trend
	case hasPasses:
		return Rate
	case hasCount:
		return Counter
	case hasValue || hasMin:
		return Gauge
	}
	return ""
}

// numbers decodes an object of numbers; nulls (JSON.stringify's NaN) and
// non-numeric members are skipped.
func numbers(raw json.RawMessage) (map[string]float64, error) {
	out := map[string]float64{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("expected an object of numbers")
	}
	for k, v := range m {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out, nil
}

// durationFromCounters derives the run duration from a counter's count and
// rate (k6 computes rate as count divided by the run duration).
func durationFromCounters(ms map[string]*Metric) time.Duration {
	for _, name := range append([]string{"http_reqs", "iterations", "authflow_flows"}, sortedKeys(ms)...) {
		m := ms[name]
		if m == nil || m.Type != Counter {
			continue
		}
		c, r := m.Values["count"], m.Values["rate"]
		if secs := c / r; c > 0 && r > 0 && secs < 1e9 {
			return time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
		}
	}
	return 0
}

// ParseMetricName splits "metric{k:v,k2:v2}" into the parent metric name and
// the submetric selector, trimming spaces and quotes as k6 does.
func ParseMetricName(name string) (string, map[string]string, error) {
	open := strings.IndexByte(name, '{')
	if open < 0 {
		if strings.IndexByte(name, '}') >= 0 {
			return "", nil, fmt.Errorf("metric name %q: unmatched '}'", name)
		}
		if name == "" {
			return "", nil, errors.New("empty metric name")
		}
		return name, nil, nil
	}
	if !strings.HasSuffix(name, "}") || open == 0 || strings.IndexByte(name[:open], '}') >= 0 {
		return "", nil, fmt.Errorf("metric name %q: want name{tag:value,...}", name)
	}
	tags := map[string]string{}
	for _, kv := range strings.Split(name[open+1:len(name)-1], ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, ":")
		tags[strings.Trim(strings.TrimSpace(k), `"'`)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return name[:open], tags, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
