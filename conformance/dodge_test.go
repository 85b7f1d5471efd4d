package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/refserver"
)

func TestDodgeChecks(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	cases := map[string][]string{
		"":                                     nil,
		refserver.DefectLockoutCaseSensitive:   {"LOCK-013"},
		refserver.DefectRefreshLimitPerSession: {"TOKEN-014"},
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
			cfg.Checks = []string{"LOCK-013", "TOKEN-014", "LOCK-001", "TOKEN-003"}
			rep := runAgainst(t, cfg, Options{})
			assert.Len(t, rep.Checks, 4)
			for _, c := range rep.Checks {
				wantV := Pass
				if contains(want, c.ID) {
					wantV = Fail
				}
				assert.Equal(t, wantV, c.Verdict, "%s on %q: %s", c.ID, defect, c.Reason)
			}
		})
	}
}
