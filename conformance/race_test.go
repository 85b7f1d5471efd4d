package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// raceDefects maps each race defect of the reference server to the race
// check that must FAIL on it.
var raceDefects = map[string]string{
	refserver.DefectLockoutRace:       "RACE-001",
	refserver.DefectRefreshRace:       "RACE-002",
	refserver.DefectSuccessTokenRace:  "RACE-003",
	refserver.DefectChallengeCodeRace: "RACE-004",
	refserver.DefectTOTPRace:          "RACE-005",
}

// TestRaceChecksDeterministic runs the race checks 50 times against the
// correct reference server: a synchronized burst must never make a correct
// server look racy (0 false FAIL), whatever the scheduling.
func TestRaceChecksDeterministic(t *testing.T) {
	skipWithTarget(t)
	if testing.Short() {
		t.Skip("50 runs of the race checks: skipped with -short")
	}
	t.Parallel()
	ts := startRef(t, refserver.Config{})
	cfg := refConfig(ts.URL)
	cfg.Groups = []string{GroupRace}
	const runs = 50
	for i := range runs {
		rep := runAgainst(t, cfg, Options{})
		require.Len(t, rep.Checks, len(raceDefects))
		for _, c := range rep.Checks {
			require.Equal(t, Pass, c.Verdict, "run %d of %d: %s: %s\n%s", i+1, runs, c.ID, c.Reason, describe(rep, []string{c.ID}))
		}
	}
}

// TestRaceChecksCatchRaceDefects: each race defect makes its check FAIL,
// in every run (the burst meets the race window every time).
func TestRaceChecksCatchRaceDefects(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	for defect, id := range raceDefects {
		t.Run(defect, func(t *testing.T) {
			t.Parallel()
			ts := startRef(t, refserver.Config{Defects: []string{defect}})
			cfg := refConfig(ts.URL)
			cfg.Groups = []string{GroupRace}
			for range 3 {
				rep := runAgainst(t, cfg, Options{})
				for _, c := range rep.Checks {
					if c.ID == id {
						assert.Equal(t, Fail, c.Verdict, "%s on %s: %s", id, defect, c.Reason)
					} else {
						assert.Equal(t, Pass, c.Verdict, "%s on %s: %s", c.ID, defect, c.Reason)
					}
				}
			}
		})
	}
}
