package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/refserver"
)

// TestBindingChecks runs the binding checks (and the Capillary ones)
// against the correct reference server and each binding defect.
func TestBindingChecks(t *testing.T) {
	skipWithTarget(t)
	t.Parallel()
	cases := map[string][]string{
		"":                                    nil,
		refserver.DefectCodeUnbound:           {"BIND-001", "BIND-002", "BIND-003", "BIND-004"},
		refserver.DefectCapillaryTokenUnbound: {"CAP-005", "CAP-006"},
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
			cfg.Groups = []string{GroupBinding, GroupCapillary}
			rep := runAgainst(t, cfg, Options{})
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
