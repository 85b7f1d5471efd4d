package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/refserver"
)

// TestWizardChecks runs the state-machine checks against the correct
// reference server and the wizard defects.
func TestWizardChecks(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	cases := map[string][]string{
		"":                               nil,
		refserver.DefectResetBeforeCode:  {"WIZ-004"},
		refserver.DefectWizardUUIDReplay: {"WIZ-001", "WIZ-004"},
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
			cfg.Checks = []string{"WIZ-"}
			rep := runAgainst(t, cfg, Options{})
			assert.Len(t, rep.Checks, len(wizFlows))
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
