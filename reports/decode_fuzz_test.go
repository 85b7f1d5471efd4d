package reports

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/authflow/authflow/conformance"
)

// FuzzParseConformance: a conformance report is read without a panic; a
// mistake is an error naming the file; what is accepted has an id and a
// known verdict on every check, builds into a report model whose counts
// add up, and written back as JSON reads the same.
//
//	go test -run='^$' -fuzz='^FuzzParseConformance$' -fuzztime=100000x ./reports/
func FuzzParseConformance(f *testing.F) {
	// The reports of testdata and of the suite's own golden file, cut to
	// their first checks: a few kilobytes keep one execution short.
	for _, p := range []string{filepath.Join("testdata", "conformance.json"), filepath.Join("..", "conformance", "testdata", "TestRenderJSON.golden")} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var r conformance.Report
		if err := json.Unmarshal(data, &r); err != nil {
			f.Fatal(err)
		}
		r.Checks = r.Checks[:min(len(r.Checks), 4)]
		short, err := json.MarshalIndent(&r, "", "  ")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(short)
	}
	for _, s := range []string{
		``, `{`, `null`, `[]`, `"x"`, `{"tool":"authflow"}`, `{"metrics":{}}`, `{"checks":null}`, `{"checks":[]}`, `{"checks":[null]}`,
		`{"checks":[{"id":"A","verdict":"MAYBE"}]}`, `{"checks":[{"verdict":"PASS"}]}`, `{"checks":{"id":"A"}}`,
		`{"checks":[{"id":"A","verdict":"FAIL","level":"MUST","baseline":true,"group":"g"},{"id":"B","verdict":"ERROR","level":"MUST"}],"summary":{"total":0}}`,
		`{"checks":[{"id":"A","verdict":"PASS","started":"2026-01-01T00:00:00+01:00","durationMs":1e308,"evidence":[{"requestHeader":{"Authorization":"Bearer abc"},"requestBody":"{\"password\":\"p\"}"}]}]}`,
		`{"checks":[{"id":"A","verdict":"PASS","started":"0000-01-01T00:00:00+01:00"}]}`,
		`{"checks":[{"id":"A","verdict":"PASS"}],"started":"2026-13-01T00:00:00Z"}`,
		`{"checks":[{"id":"A","verdict":"PASS"}],"durationMs":1e400}`,
		"{\"checks\":[{\"id\":\"\xff\",\"verdict\":\"PASS\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseConformance(data, "fuzz.json")
		if err != nil {
			if r != nil {
				t.Fatal("report and error")
			}
			if !strings.HasPrefix(err.Error(), "conformance fuzz.json: ") || len(err.Error()) == len("conformance fuzz.json: ") {
				t.Fatalf("error %q does not say which file and what", err)
			}
			return
		}
		for i, c := range r.Checks {
			if c.ID == "" || !slices.Contains(Verdicts, c.Verdict) {
				t.Fatalf("check %d: id %q verdict %q", i, c.ID, c.Verdict)
			}
		}
		m, err := Build(Input{Conformance: r, ConformanceSource: "fuzz.json"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := m.Conformance
		total, groups := 0, 0
		for _, n := range c.Counts {
			total += n
		}
		for _, g := range c.Groups {
			groups += g.Total
		}
		if len(c.Checks) != len(r.Checks) || total != len(r.Checks) || groups != len(r.Checks) {
			t.Fatalf("%d checks read, %d in the model, counted %d, in groups %d", len(r.Checks), len(c.Checks), total, groups)
		}
		if bad := c.Counts[conformance.Fail] + c.Counts[conformance.Error]; c.MustFailed+c.Accepted > bad {
			t.Fatalf("%d MUST failed and %d accepted of %d failures", c.MustFailed, c.Accepted, bad)
		}

		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("the report read cannot be written back: %v", err)
		}
		back, err := ParseConformance(out, "fuzz.json")
		if err != nil {
			t.Fatalf("written back: %v\n%s", err, out)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("JSON round trip (%v):\n%s\n%s", err, out, again)
		}
	})
}

// FuzzParseMetricName: a metric name is split without a panic; the parent
// is a prefix of the name and a metric name by itself; a name without a
// selector is its own parent; and the selector written back in k6's
// syntax (quoted, as k6 lets one) reads the same.
//
//	go test -run='^$' -fuzz='^FuzzParseMetricName$' -fuzztime=100000x ./reports/
func FuzzParseMetricName(f *testing.F) {
	for _, s := range []string{
		"http_req_duration", `http_req_duration{ step: "credentials" ,flow:'sign_in'}`, "http_req_duration{step:credentials}",
		"checks{check:status is 200}", "a{b:c:d}", "a{b}", "a{,}", "a{ , b:c ,}", "a{}", `a{"":""}`, `a{'x':'"'}`,
		"", "{a:b}", "a}", "a{b:c", "a}{b:c}", "a{b:c}}", "a{b{c:d}", "a{b:c}x", "a{b:c}{d:e}", "a{b: \" x\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base, tags, err := ParseMetricName(name)
		if err != nil {
			if base != "" || tags != nil || err.Error() == "" {
				t.Fatalf("%q: %q %v and error %v", name, base, tags, err)
			}
			return
		}
		if base == "" || !strings.HasPrefix(name, base) {
			t.Fatalf("%q: parent %q", name, base)
		}
		if tags == nil {
			if base != name {
				t.Fatalf("%q: no selector, parent %q", name, base)
			}
			return
		}
		if b2, t2, err := ParseMetricName(base); err != nil || b2 != base || t2 != nil {
			t.Fatalf("%q: the parent %q is not a metric name by itself: %q %v %v", name, base, b2, t2, err)
		}
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sel []string
		for _, k := range keys {
			sel = append(sel, `"`+k+`":"`+tags[k]+`"`)
		}
		again := base + "{" + strings.Join(sel, ",") + "}"
		b2, t2, err := ParseMetricName(again)
		if err != nil || b2 != base || !reflect.DeepEqual(t2, tags) {
			t.Fatalf("%q reads as %q %v; written back %q reads as %q %v (%v)", name, base, tags, again, b2, t2, err)
		}
	})
}

// ndjsonSeeds are the first lines of each k6 --out json file of testdata:
// a few lines keep one execution short.
func ndjsonSeeds(t testing.TB, lines int) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no NDJSON in testdata: %v", err)
	}
	var out [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ls := bytes.SplitAfter(data, []byte("\n"))
		if len(ls) > lines {
			ls = ls[:lines]
		}
		out = append(out, bytes.Join(ls, nil))
	}
	return out
}

// FuzzReadTimeSeries: a k6 --out json stream is read without a panic,
// whatever its bytes; a mistake is an error naming the stream; what is
// read is the same however the bytes arrive (all at once, a byte at a
// time, gzipped) and its totals agree with each other.
//
//	go test -run='^$' -fuzz='^FuzzReadTimeSeries$' -fuzztime=100000x ./reports/
func FuzzReadTimeSeries(f *testing.F) {
	for _, b := range ndjsonSeeds(f, 6) {
		f.Add(b)
	}
	point := `{"metric":"http_reqs","type":"Point","data":{"time":"2026-11-23T10:32:35.583827935Z","value":1,"tags":{"step":"wizard"}}}`
	for _, s := range []string{
		"", "\n\n", "x", "[]", "{}", `{"type":"Point"}`, `{"type":"Nope"}`, `{"type":"Metric","data":5}`,
		`{"type":"Metric","metric":"m","data":{"name":"","type":"trend"}}`,
		`{"type":"Point","metric":"m","data":{"time":"2026-01-01T00:00:00Z"}}`,
		`{"type":"Point","metric":"m","data":{"time":"2026-01-01T00:00:00Z","value":null}}`,
		`{"type":"Point","metric":"m","data":{"value":1}}`,
		`{"type":"Point","metric":"m","data":{"time":"0000-01-01T00:00:00Z","value":-1e308,"tags":null}}`,
		`{"type":"Point","metric":"http_req_duration","data":{"time":"9999-12-31T23:59:59.999999999-23:59","value":1e308}}`,
		`{"type":"Point","metric":"http_req_duration","data":{"time":"2026-01-01T00:00:00Z","value":0}}`,
		`{"type":"Point","metric":"http_req_failed","data":{"time":"2026-01-01T00:00:00Z","value":1,"tags":{"a":"b"}}}`,
		point + "\n" + point + "\n" + `{"metric":"http_reqs","type":"Po`,
		point + "\r\n" + `{"metric":"http_reqs","type":"Po` + "\n",
		point, "\x1f\x8b", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
	} {
		f.Add([]byte(s))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(point + "\n"))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add(gz.Bytes()[:gz.Len()-3])

	zw = gzip.NewWriter(nil) // reused: a gzip.Writer is large to make
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(rd io.Reader) (*TimeSeries, error) {
			r := NewTimeSeriesReader()
			if err := r.Read(rd, "fuzz.ndjson"); err != nil {
				return nil, err
			}
			return r.TimeSeries()
		}
		ts, err := read(bytes.NewReader(data))
		if err != nil {
			if ts != nil || !strings.HasPrefix(err.Error(), "timeseries fuzz.ndjson") {
				t.Fatalf("%v (%v)", err, ts)
			}
		} else {
			checkTimeSeries(t, ts)
		}

		// However the bytes arrive, the same result.
		ts2, err2 := read(iotest.OneByteReader(bytes.NewReader(data)))
		sameTimeSeries(t, "a byte at a time", ts, err, ts2, err2)
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			var gz bytes.Buffer
			zw.Reset(&gz)
			zw.Write(data)
			zw.Close()
			ts3, err3 := read(bytes.NewReader(gz.Bytes()))
			sameTimeSeries(t, "gzipped", ts, err, ts3, err3)
		}
	})
}

func sameTimeSeries(t *testing.T, how string, want *TimeSeries, wantErr error, got *TimeSeries, err error) {
	t.Helper()
	if (wantErr == nil) != (err == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%s: error %v, read at once: %v", how, err, wantErr)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s: a different time series", how)
	}
}

// checkTimeSeries holds the invariants of what was read.
func checkTimeSeries(t *testing.T, ts *TimeSeries) {
	t.Helper()
	if ts.Points <= 0 || ts.Start.IsZero() || ts.End.Before(ts.Start) {
		t.Fatalf("%d points from %v to %v", ts.Points, ts.Start, ts.End)
	}
	var n, durations, ticked int64
	for key, s := range ts.series {
		n += s.n
		if s.n <= 0 || s.min > s.max || s.first.Before(ts.Start) || s.first.After(ts.End) || key != seriesKey(s.metric, s.tags) {
			t.Fatalf("series %q: %+v", key, s)
		}
		if slices.Contains(DefaultTrends, s.metric) != (s.values != nil) || (s.values != nil && int64(len(s.values)) != s.n) {
			t.Fatalf("series %q: %d points, %d values kept", key, s.n, len(s.values))
		}
		if s.metric == "http_req_duration" {
			durations += s.n
		}
	}
	for _, sec := range ts.ticks {
		ticked += int64(len(sec.durations))
	}
	if n != ts.Points || durations != ticked {
		t.Fatalf("%d points, %d in series; %d durations, %d in ticks", ts.Points, n, durations, ticked)
	}
}
