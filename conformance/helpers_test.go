package conformance

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// skipWithTarget skips the suite's self-tests when go test is pointed at a
// target (-config): then the target is under test, not the suite.
func skipWithTarget(t testing.TB) {
	t.Helper()
	if *configFlag != "" || os.Getenv("AUTHFLOW_CONFORMANCE_CONFIG") != "" {
		t.Skip("a target is configured (-config): the suite's self-tests are skipped")
	}
}

// startRef starts the reference server in-process with the given defects.
func startRef(t testing.TB, cfg refserver.Config) *httptest.Server {
	t.Helper()
	srv, err := refserver.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts
}

// refConfig is a suite configuration for an in-process reference server.
func refConfig(url string) *Config {
	c := &Config{Target: url, Hooks: url + "/__hooks"}
	c.ApplyDefaults()
	c.Parallelism = 16
	// The self-tests run many suites at once (under -race too): time is
	// not what they test.
	c.Timeouts.Check = Duration(10 * time.Minute)
	c.Timeouts.Request = Duration(time.Minute)
	// Many suites share the machine: a lockout's failures and a probe's
	// answer may take seconds, so the window and the block leave room.
	c.Policy.ShortBlock = Duration(8 * time.Second)
	c.Policy.ShortWindow = Duration(20 * time.Second)
	return c
}

// runAgainst runs the suite with cfg and returns the report.
func runAgainst(t testing.TB, cfg *Config, opts Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg, opts)
	require.NoError(t, err)
	return rep
}

// defectRun says which checks checkDefects runs and what it accepts.
type defectRun struct {
	groups, checks []string // Config.Groups, Config.Checks
	count          int      // the checks the run must hold (0: not checked)
	skipOK         bool     // under a defect, an unlisted check may SKIP (a precondition another check FAILs on)
}

// checkDefects runs the checks of run against the correct reference server
// (the "" case) and each defect of cases, side by side: the checks a
// defect lists FAIL, every other check PASSes.
func checkDefects(t *testing.T, cases map[string][]string, run defectRun) {
	t.Helper()
	skipWithTarget(t)
	t.Parallel()
	for defect, want := range cases {
		t.Run("defect="+defect, func(t *testing.T) {
			t.Parallel()
			rc := refserver.Config{}
			if defect != "" {
				rc.Defects = []string{defect}
			}
			ts := startRef(t, rc)
			cfg := refConfig(ts.URL)
			cfg.Groups, cfg.Checks = run.groups, run.checks
			rep := runAgainst(t, cfg, Options{})
			if run.count > 0 {
				assert.Len(t, rep.Checks, run.count)
			}
			for _, c := range rep.Checks {
				switch {
				case slices.Contains(want, c.ID):
					assert.Equal(t, Fail, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
				case defect != "" && run.skipOK:
					assert.Contains(t, []Verdict{Pass, Skip}, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
				default:
					assert.Equal(t, Pass, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
				}
			}
		})
	}
}
