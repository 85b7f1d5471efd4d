package conformance

import (
	"context"
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// Running the suite with go test:
//
//	go test ./conformance -run TestConformance -v -args -config conformance.yaml
//	go test ./conformance -run 'TestConformance/LOCK-00[1-3]' -args -config conformance.yaml -out results
//
// Each check is a subtest named by its ID: FAIL and ERROR fail it (with the
// evidence in the log), SKIP skips it, a FAIL the baseline accepts is
// skipped too, WARN passes with a log line.

var (
	configFlag = flag.String("config", "", "conformance configuration (YAML or JSON); TestConformance is skipped without it (or AUTHFLOW_CONFORMANCE_CONFIG)")
	outFlag    = flag.String("out", "", "directory for conformance.junit.xml, conformance.json and conformance.md")
)

// runFilter turns the check part of -test.run (the pattern after the first
// unbracketed '/') into a filter of check IDs, so that only the selected
// checks run; nil runs all (go test still filters what it reports).
func runFilter() func(string) bool {
	f := flag.Lookup("test.run")
	if f == nil {
		return nil
	}
	parts := splitRunPattern(f.Value.String())
	if len(parts) < 2 || parts[1] == "" {
		return nil
	}
	re, err := regexp.Compile(parts[1])
	if err != nil {
		return nil
	}
	return re.MatchString
}

// splitRunPattern splits a -run pattern on the slashes that are not inside
// brackets or parentheses, as the testing package does.
func splitRunPattern(p string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[', '(':
			depth++
		case ']', ')':
			if depth > 0 {
				depth--
			}
		case '\\':
			i++
		case '/':
			if depth == 0 {
				parts = append(parts, p[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, p[start:])
}

func TestConformance(t *testing.T) {
	path := *configFlag
	if path == "" {
		path = os.Getenv("AUTHFLOW_CONFORMANCE_CONFIG")
	}
	if path == "" {
		t.Skip("no target: go test ./conformance -run TestConformance -args -config FILE")
	}
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	opts := Options{Version: "go test", Filter: runFilter()}
	if testing.Verbose() {
		term := &Terminal{W: os.Stdout}
		opts.Progress = term.Check
	}
	rep, err := Run(context.Background(), cfg, opts)
	require.NoError(t, err)
	if *outFlag != "" {
		require.NoError(t, WriteFiles(*outFlag, rep, nil))
	}
	for _, n := range rep.Notes {
		t.Log("note:", n)
	}
	for _, c := range rep.Checks {
		t.Run(c.ID, func(t *testing.T) {
			switch c.Verdict {
			case Pass:
				t.Log(c.Title)
			case Warn:
				t.Log("WARN (SHOULD not met): " + checkDetail(c))
			case Skip:
				t.Skip(c.Title + ": " + c.Reason)
			case Fail:
				if c.Baseline {
					t.Skip("FAIL accepted by the baseline: " + checkDetail(c))
				}
				t.Error(checkDetail(c))
			case Error:
				t.Error("the check could not run: " + checkDetail(c))
			}
		})
	}
	if !rep.Summary.Passed {
		t.Logf("the run FAILED: %d FAIL, %d ERROR", rep.Summary.Fail, rep.Summary.Error)
	}
}

func TestSplitRunPattern(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     []string
	}{
		{"top only", "TestConformance", []string{"TestConformance"}},
		{"one check", "TestConformance/LOCK-001", []string{"TestConformance", "LOCK-001"}},
		{"class with slash", "TestConformance/LOCK-00[1/2]", []string{"TestConformance", "LOCK-00[1/2]"}},
		{"group", "TestConformance/(LOCK|TOKEN)-.*", []string{"TestConformance", "(LOCK|TOKEN)-.*"}},
		{"escaped", `Test\/x/y`, []string{`Test\/x`, "y"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, splitRunPattern(c.in))
		})
	}
}
