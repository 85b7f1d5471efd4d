package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// The suite proves itself against the reference server: the correct server
// passes every check, and each deliberate defect makes exactly the checks
// it breaks report FAIL (or WARN, for SHOULD checks), and no other.

// defectTable maps each deliberate defect of the reference server to the
// checks that must not pass against it: the default run's and, for
// defects only time reveals, the expiry run's (expiryRun below).
var defectTable = map[string][]string{
	refserver.DefectNoLockout: {"LOCK-001", "LOCK-002", "LOCK-007", "LOCK-008", "LOCK-013", "RACE-001"},
	// The reference server's lockout-ignores-password also lets an unknown
	// email through to its 401 while "blocked": LOCK-007 notices.
	refserver.DefectLockoutIgnoresPassword: {"LOCK-002", "LOCK-007", "LOCK-013"},
	refserver.DefectTOTPReplay:             {"TFA-003", "RACE-005"},
	refserver.DefectTOTPWideWindow:         {"TFA-005", "TFA-006"},
	refserver.DefectRefreshNoRotate:        {"TOKEN-002", "RACE-002"},
	refserver.DefectSignOutNoRevoke:        {"TOKEN-006", "TOKEN-007"},
	refserver.DefectSuccessTokenReusable:   {"PWD-005", "RACE-003"},
	refserver.DefectHistoryCrossClient:     {"PWD-008", "MGMT-008"},
	refserver.DefectWrongFieldType:         {"SHAPE-010", "SHAPE-011", "SHAPE-014", "SHAPE-015"},
	refserver.Defect500OnMalformedJSON:     {"INPUT-001", "SHAPE-017"},
	refserver.DefectNoRetryAfter:           {"LOCK-003", "TOKEN-004"},
	refserver.DefectEnumeration:            {"LOCK-006", "LOCK-007", "LOCK-009", "TFA-013"},
	refserver.DefectSMSCodeReusable:        {"TFA-009"},
	refserver.DefectCapillaryTokenReusable: {"CAP-004"},
	refserver.DefectWizardUUIDReplay:       {"SIGNIN-008", "WIZ-001", "WIZ-004"},
	// Seen only when the suite may wait for an access token to expire.
	refserver.DefectAccessTokenNoExpiry: {"TOKEN-010"},
	// Seen only by a synchronized burst (race_test.go runs them 50 times).
	refserver.DefectLockoutRace:       {"RACE-001"},
	refserver.DefectRefreshRace:       {"RACE-002"},
	refserver.DefectSuccessTokenRace:  {"RACE-003"},
	refserver.DefectChallengeCodeRace: {"RACE-004"},
	refserver.DefectTOTPRace:          {"RACE-005"},
	// Seen only over time, under the shortened policy.
	refserver.DefectWindowSticky:        {"LOCK-010", "TOKEN-011"},
	refserver.DefectBlockShort:          {"LOCK-011", "TOKEN-012"},
	refserver.DefectRetryAfterFullBlock: {"LOCK-012", "TOKEN-013"},
	// A code or token of one client accepted for another.
	refserver.DefectCodeUnbound:           {"BIND-001", "BIND-002", "BIND-003", "BIND-004"},
	refserver.DefectCapillaryTokenUnbound: {"CAP-005", "CAP-006"},
	// The wizard's state machine.
	refserver.DefectResetBeforeCode: {"WIZ-004"},
	// Enumeration by response time (SHOULD: WARN).
	refserver.DefectEnumerationTiming: {"TIME-001"},
	// Limits dodged.
	refserver.DefectLockoutCaseSensitive:   {"LOCK-013"},
	refserver.DefectRefreshLimitPerSession: {"TOKEN-014"},
}

// expiryChecks need time to pass on the server; the expiry run gives the
// reference server short lifetimes and the suite leave to wait.
var expiryChecks = []string{"SIGNIN-010", "TFA-010", "PWD-009", "TOKEN-010", "QR-007"}

func expiryRun(url string) (*Config, refserver.Config) {
	cfg := refConfig(url)
	cfg.Checks = expiryChecks
	// Lifetimes of a few seconds: enough for the setup steps while dozens
	// of suites share the machine, short enough to wait for.
	cfg.Lifetimes = Lifetimes{Wizard: Duration(10 * time.Second), Code: Duration(5 * time.Second), SuccessToken: Duration(5 * time.Second)}
	cfg.Waits.Expiry = Duration(15 * time.Second)
	return cfg, refserver.Config{AccessTTL: 8 * time.Second, WizardTTL: 10 * time.Second, CodeTTL: 5 * time.Second, SuccessTokenTTL: 5 * time.Second}
}

// notPassed lists the checks that FAILed or WARNed, and those that ERRORed.
func notPassed(rep *Report) (failed, errored []string) {
	for _, c := range rep.Checks {
		switch c.Verdict {
		case Fail, Warn:
			failed = append(failed, c.ID)
		case Error:
			errored = append(errored, c.ID+": "+c.Reason)
		}
	}
	sort.Strings(failed)
	return failed, errored
}

func describe(rep *Report, ids []string) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		if slices.Contains(ids, c.ID) {
			b.WriteString(checkDetail(c))
			b.WriteString("\n")
		}
	}
	return b.String()
}

// selfRun is one run of the suite against the reference server with one
// defect ("" for none): the default run and the expiry run.
type selfRun struct {
	rep, erep *Report
	err       error
}

// selfParallel is how many suites the self-test runs at once.
const selfParallel = 8

var (
	selfOnce    sync.Once
	selfResults map[string]*selfRun
)

// selfRuns runs the suite against the correct reference server and each
// defect, all at once (the checks mostly wait: on blocks, on TOTP steps),
// once per test binary.
func selfRuns() map[string]*selfRun {
	selfOnce.Do(func() {
		names := []string{""}
		for _, d := range refserver.Defects() {
			names = append(names, d.Name)
		}
		selfResults = map[string]*selfRun{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		// A few suites at a time: each one's timing-sensitive checks (races,
		// windows, response times) need the machine not to be saturated.
		sem := make(chan struct{}, selfParallel)
		for _, name := range names {
			r := &selfRun{}
			selfResults[name] = r
			var defects []string
			if name != "" {
				defects = []string{name}
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				rep, err := runRef(refserver.Config{Defects: defects}, func(url string) *Config { return refConfig(url) })
				mu.Lock()
				r.rep, r.err = rep, errors.Join(r.err, err)
				mu.Unlock()
			}()
			go func() { // light: five checks, mostly waiting
				defer wg.Done()
				_, rcfg := expiryRun("")
				rcfg.Defects = defects
				rep, err := runRef(rcfg, func(url string) *Config { c, _ := expiryRun(url); return c })
				mu.Lock()
				r.erep, r.err = rep, errors.Join(r.err, err)
				mu.Unlock()
			}()
		}
		wg.Wait()
	})
	return selfResults
}

// runRef starts a reference server, runs the suite against it and stops it.
func runRef(rcfg refserver.Config, cfg func(url string) *Config) (*Report, error) {
	srv, err := refserver.New(rcfg)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(srv)
	defer func() {
		ts.Close()
		srv.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	return Run(ctx, cfg(ts.URL), Options{})
}

func TestSelfReferenceServerPasses(t *testing.T) {
	t.Parallel()
	skipWithTarget(t)
	r := selfRuns()[""]
	require.NoError(t, r.err)
	rep := r.rep
	failed, errored := notPassed(rep)
	assert.Empty(t, failed, "the correct reference server must pass every check:\n%s", describe(rep, failed))
	assert.Empty(t, errored)
	for _, c := range rep.Checks {
		if c.Verdict == Skip {
			assert.Contains(t, expiryChecks, c.ID, "only the expiry checks may SKIP against the reference server: %s: %s", c.ID, c.Reason)
		}
	}
	assert.True(t, rep.Summary.Passed)
	assert.Len(t, rep.Checks, len(Catalogue()))
	t.Logf("suite against the reference server: %d checks in %.1f s (alongside %d other runs)", len(rep.Checks), rep.Duration/1000, 2*len(selfRuns())-1)

	// The expiry run: short lifetimes, leave to wait.
	erep := r.erep
	failed, errored = notPassed(erep)
	assert.Empty(t, failed, describe(erep, failed))
	assert.Empty(t, errored)
	for _, c := range erep.Checks {
		if c.ID == "QR-007" {
			assert.Equal(t, Skip, c.Verdict, "QR-007 waits lifetimeMinutes (at least a minute)")
			continue
		}
		assert.Equal(t, Pass, c.Verdict, "%s: %s", c.ID, c.Reason)
	}
}

// TestSelfDefects checks that against each deliberate defect exactly the
// checks of defectTable do not pass, and no check ERRORs; it prints the
// share of defects caught (go test ./conformance -run TestSelfDefects -v).
func TestSelfDefects(t *testing.T) {
	t.Parallel()
	skipWithTarget(t)
	for _, d := range refserver.Defects() {
		_, listed := defectTable[d.Name]
		assert.True(t, listed, "defect %q is missing from defectTable", d.Name)
	}
	runs := selfRuns()
	caught := map[string][]string{}
	for name, want := range defectTable {
		t.Run(name, func(t *testing.T) {
			r, ok := runs[name]
			require.True(t, ok, "defectTable lists unknown defect %q", name)
			require.NoError(t, r.err)
			failed, errored := notPassed(r.rep)
			assert.Empty(t, errored, "no check may ERROR against defect %s", name)
			efailed, eerrored := notPassed(r.erep)
			assert.Empty(t, eerrored, "no expiry check may ERROR against defect %s", name)
			all := append(failed, efailed...)
			sort.Strings(all)
			all = slices.Compact(all)
			wantSorted := slices.Clone(want)
			sort.Strings(wantSorted)
			if !assert.True(t, slices.Equal(wantSorted, all), "defect %s: want %v not to pass, got %v", name, wantSorted, all) {
				t.Log(describe(r.rep, all), describe(r.erep, all))
			}
			caught[name] = all
		})
	}
	names := make([]string, 0, len(caught))
	n := 0
	for name, ids := range caught {
		names = append(names, name)
		if slices.ContainsFunc(ids, func(id string) bool { c := lookupCheck(id); return c != nil && c.Level == MUST }) {
			n++
		}
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-26s %s\n", "defect", "checks that FAIL/WARN")
	for _, name := range names {
		s := strings.Join(caught[name], ", ")
		if s == "" {
			s = "(none: not observable through the API)"
		}
		fmt.Fprintf(&b, "%-26s %s\n", name, s)
	}
	fmt.Fprintf(&b, "defects caught (a MUST check FAILs): %d of %d = %.1f%%\n", n, len(names), 100*float64(n)/float64(max(1, len(names))))
	t.Log(b.String())
	if testing.Verbose() {
		fmt.Fprint(os.Stdout, b.String())
	}
}
