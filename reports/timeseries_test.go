package reports

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustSeries(t testing.TB, names ...string) *TimeSeries {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join("testdata", n))
	}
	ts, err := LoadTimeSeries(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// The time series k6 wrote must reproduce, exactly, every number k6 put in
// the summary of the same run: same samples, same percentile algorithm.
func TestTimeSeriesReproducesK6Summary(t *testing.T) {
	for _, run := range []string{"baseline", "candidate", "split-whole"} {
		t.Run(run, func(t *testing.T) {
			s := mustLoad(t, run+".json")
			ts := mustSeries(t, run+".ndjson")
			checked := 0
			for _, name := range sortedKeys(s.Metrics) {
				m := s.Metrics[name]
				switch m.Type {
				case Trend:
					values, kept := ts.Values(m.Base, m.Tags)
					if !kept {
						continue
					}
					var pcts []float64
					for k := range m.Values {
						if p, ok := parsePKey(k); ok {
							pcts = append(pcts, p)
						}
					}
					got := TrendStats(values, pcts...)
					for k, want := range m.Values {
						if !near(got[k], want) {
							t.Errorf("%s %s: time series gives %v, k6 summary %v", name, k, got[k], want)
						}
					}
					checked++
				case Counter:
					if !ts.Has(m.Base) {
						continue
					}
					sum, _ := ts.Sum(m.Base, m.Tags)
					if sum != m.Values["count"] {
						t.Errorf("%s count: time series %v, summary %v", name, sum, m.Values["count"])
					}
					checked++
				case Rate:
					if !ts.Has(m.Base) {
						continue
					}
					trues, n := ts.Sum(m.Base, m.Tags)
					if trues != m.Values["passes"] || float64(n)-trues != m.Values["fails"] {
						t.Errorf("%s: time series %v/%v, summary %v", name, trues, n, m.Values)
					}
					checked++
				}
			}
			if checked < 10 {
				t.Errorf("only %d metrics checked", checked)
			}
		})
	}
}

func TestTimeSeriesGzipAndSplit(t *testing.T) {
	raw, err := os.ReadFile("testdata/split-a.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw)
	w.Close()
	r := NewTimeSeriesReader()
	if err := r.Read(&gz, "split-a.ndjson.gz"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadFile("testdata/split-b.ndjson"); err != nil {
		t.Fatal(err)
	}
	ts, err := r.TimeSeries()
	if err != nil {
		t.Fatal(err)
	}
	whole := mustSeries(t, "split-whole.ndjson")
	for _, metric := range []string{"http_reqs", "authflow_flows", "authflow_lockouts"} {
		a, _ := ts.Sum(metric, nil)
		b, _ := whole.Sum(metric, nil)
		if a != b {
			t.Errorf("%s: two halves %v, one process %v", metric, a, b)
		}
	}
}

func TestTimeSeriesMalformed(t *testing.T) {
	point := `{"metric":"http_reqs","type":"Point","data":{"time":"2026-11-23T10:02:07.766Z","value":1,"tags":{"flow":"f"}}}`
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty; expected the NDJSON file"},
		{"not json", "hello\n" + point + "\n", "x.ndjson:1: not a JSON object"},
		{"bad json line 2", point + "\n{\"metric\":\n" + point + "\n", "x.ndjson:2: invalid JSON"},
		{"no type", `{"metric":"x","data":{}}` + "\n", `x.ndjson:1: no "type"`},
		{"unknown type", `{"type":"Sample","metric":"x","data":{}}` + "\n", `unknown line type "Sample"`},
		{"no value", `{"type":"Point","metric":"x","data":{"time":"2026-11-23T10:02:07Z","tags":{}}}` + "\n", "no numeric value"},
		{"no time", `{"type":"Point","metric":"x","data":{"value":1}}` + "\n", "no time"},
		{"no metric", `{"type":"Point","data":{"value":1}}` + "\n", `a Point line without "metric"`},
		{"bad tags", `{"type":"Point","metric":"x","data":{"time":"2026-11-23T10:02:07Z","value":1,"tags":[1]}}` + "\n", `a Point line of "x"`},
		{"summary given", `{"metrics": {}}` + "\n", `no "type"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewTimeSeriesReader()
			err := r.Read(strings.NewReader(c.in), "x.ndjson")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q", err, c.want)
			}
		})
	}
	t.Run("long line", func(t *testing.T) {
		r := NewTimeSeriesReader()
		err := r.Read(strings.NewReader(strings.Repeat("x", maxLineSize+10)), "x.ndjson")
		if err == nil || !strings.Contains(err.Error(), "line longer than") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("torn last line", func(t *testing.T) {
		r := NewTimeSeriesReader()
		in := point + "\n" + point + "\n" + point[:40]
		if err := r.Read(strings.NewReader(in), "x.ndjson"); err != nil {
			t.Fatal(err)
		}
		ts, err := r.TimeSeries()
		if err != nil || ts.Points != 2 || len(ts.Notes) != 1 {
			t.Errorf("points %d notes %v err %v", ts.Points, ts.Notes, err)
		}
	})
	t.Run("only metric lines", func(t *testing.T) {
		r := NewTimeSeriesReader()
		if err := r.Read(strings.NewReader(`{"type":"Metric","data":{"name":"x","type":"counter"},"metric":"x"}`+"\n"), "x.ndjson"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.TimeSeries(); err == nil || !strings.Contains(err.Error(), "no Point lines") {
			t.Errorf("error %v", err)
		}
	})
}

func TestPercentileMatchesK6(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {0.5, 2.5}, {0.9, 3.7}, {1, 4}} {
		if got := Percentile(v, c.p); !near(got, c.want) {
			t.Errorf("P(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if Percentile(nil, 0.5) != 0 || Percentile([]float64{7}, 0.95) != 7 {
		t.Error("edge cases")
	}
	if pKey(95) != "p(95)" || pKey(99.9) != "p(99.9)" {
		t.Errorf("pKey %s %s", pKey(95), pKey(99.9))
	}
}
