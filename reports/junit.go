package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/authflow/authflow/conformance"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr,omitempty"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",innerxml"` // escaped by xmlText
}

// junitText is element text escaped by xmlText, so line breaks and quotes
// stay readable in the file.
type junitText struct {
	Text string `xml:",innerxml"`
}

func sysout(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{xmlText(s)}
}

// xmlText escapes s as XML character data, replacing characters XML
// cannot carry.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF):
			b.WriteRune(r)
		default:
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// RenderJUnit writes JUnit XML: a suite of k6 thresholds (one testcase per
// threshold, failed when crossed), a suite of conformance checks (FAIL and
// ERROR fail, SKIP is skipped, a failure the baseline accepts is skipped
// with the reason, WARN passes with a note), and with a baseline a suite of
// regressions (one testcase per compared number).
func RenderJUnit(w io.Writer, m *Model) error {
	doc := junitSuites{Name: m.Title}
	if m.Run != nil {
		s := junitSuite{Name: "k6 thresholds", Time: secs(m.Run.Duration.Seconds())}
		for _, t := range m.Thresholds {
			tc := junitTestCase{Name: t.Source, Classname: "thresholds." + t.Metric}
			if !t.OK {
				msg := fmt.Sprintf("threshold %s on %s crossed", t.Source, t.Metric)
				if t.Actual != "" {
					msg += " (" + t.Actual + ")"
				}
				tc.Failure = &junitFailure{Message: msg, Type: "threshold", Text: xmlText(msg)}
			} else {
				tc.SystemOut = sysout(t.Actual)
			}
			s.add(tc)
		}
		s.Properties = &junitProps{Props: []junitProp{{"sources", strings.Join(m.Run.Sources, ", ")}}}
		doc.add(s)
	}
	if c := m.Conformance; c != nil {
		s := junitSuite{Name: "conformance"}
		total := 0.0
		for _, ch := range c.Checks {
			total += ch.Duration
			s.add(junitCheck(ch))
		}
		s.Time = secs(total / 1000)
		props := []junitProp{{"passed", fmt.Sprint(c.Passed)}}
		if c.Target.BaseURL != "" {
			props = append(props, junitProp{"target", c.Target.BaseURL})
		}
		s.Properties = &junitProps{Props: props}
		doc.add(s)
	}
	if cmp := m.Comparison; cmp != nil {
		s := junitSuite{Name: "regressions vs baseline"}
		for _, d := range cmp.Rows {
			tc := junitTestCase{Name: d.Name + " " + d.Stat, Classname: "regressions." + d.Scope}
			detail := fmt.Sprintf("baseline %s, candidate %s, change %s, p %s", fmtStat(d.Base, d.Unit), fmtStat(d.Cand, d.Unit), fmtDelta(d), fmtP(d.PValue))
			if d.Regressed {
				tc.Failure = &junitFailure{Message: "regression: " + detail, Type: "regression", Text: xmlText(detail)}
			} else {
				tc.SystemOut = sysout(detail)
			}
			s.add(tc)
		}
		doc.add(s)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render JUnit: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func junitCheck(ch conformance.CheckResult) junitTestCase {
	tc := junitTestCase{
		Name:      ch.ID + " " + ch.Title,
		Classname: "conformance." + strings.NewReplacer(" ", "_", ".", "_").Replace(ch.Group),
		Time:      secs(ch.Duration / 1000),
	}
	var detail strings.Builder
	fmt.Fprintf(&detail, "%s %s: %s\n", ch.Level, ch.Verdict, ch.Reason)
	if ch.Source != "" {
		fmt.Fprintf(&detail, "source: %s\n", ch.Source)
	}
	if len(ch.Refs) > 0 {
		fmt.Fprintf(&detail, "refs: %s\n", strings.Join(ch.Refs, ", "))
	}
	for _, e := range ch.Evidence {
		fmt.Fprintf(&detail, "evidence: %s %s -> %d", e.Method, e.Path, e.Status)
		if e.Note != "" {
			fmt.Fprintf(&detail, " (%s)", e.Note)
		}
		detail.WriteByte('\n')
		if e.ResponseBody != "" {
			fmt.Fprintf(&detail, "  response: %s\n", truncate(strings.Join(strings.Fields(e.ResponseBody), " "), 500))
		}
	}
	text := strings.TrimRight(detail.String(), "\n")
	switch ch.Verdict {
	case conformance.Fail, conformance.Error:
		if ch.Baseline {
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("%s accepted by the baseline: %s", ch.Verdict, ch.Reason)}
			tc.SystemOut = sysout(text)
		} else {
			tc.Failure = &junitFailure{Message: ch.Reason, Type: string(ch.Verdict), Text: xmlText(text)}
		}
	case conformance.Skip:
		tc.Skipped = &junitSkipped{Message: ch.Reason}
	case conformance.Warn:
		tc.SystemOut = sysout(text)
	}
	return tc
}

func (s *junitSuite) add(tc junitTestCase) {
	s.Cases = append(s.Cases, tc)
	s.Tests++
	if tc.Failure != nil {
		s.Failures++
	}
	if tc.Skipped != nil {
		s.Skipped++
	}
}

func (d *junitSuites) add(s junitSuite) {
	d.Suites = append(d.Suites, s)
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Errors += s.Errors
	d.Skipped += s.Skipped
}

func secs(v float64) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf("%.3f", v)
}
