package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/refserver"
)

// TestWindowChecks runs the window checks against the correct reference
// server (every one passes) and against each time-window defect (its
// checks FAIL, the others pass), all side by side.
func TestWindowChecks(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	ids := []string{"LOCK-010", "LOCK-011", "LOCK-012", "TOKEN-011", "TOKEN-012", "TOKEN-013", "LOCK-005", "TOKEN-005"}
	cases := map[string][]string{
		"":                                  nil,
		refserver.DefectWindowSticky:        {"LOCK-010", "TOKEN-011"},
		refserver.DefectBlockShort:          {"LOCK-011", "TOKEN-012"},
		refserver.DefectRetryAfterFullBlock: {"LOCK-012", "TOKEN-013"},
	}
	for defect, want := range cases {
		t.Run("defect="+defect, func(t *testing.T) {
			t.Parallel()
			rc := refserver.Config{}
			if defect != "" {
				rc.Defects = []string{defect}
			}
			ts := startRef(t, rc)
			cfg := refConfig(ts.URL)
			cfg.Checks = ids
			rep := runAgainst(t, cfg, Options{})
			assert.Len(t, rep.Checks, len(ids))
			for _, c := range rep.Checks {
				switch {
				case contains(want, c.ID):
					assert.Equal(t, Fail, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
				case defect == "":
					assert.Equal(t, Pass, c.Verdict, "%s: %s", c.ID, c.Reason)
				default: // a precondition another check FAILs on may SKIP
					assert.Contains(t, []Verdict{Pass, Skip}, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
				}
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
