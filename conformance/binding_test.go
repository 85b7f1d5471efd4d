package conformance

import (
	"testing"

	"github.com/authflow/authflow/refserver"
)

// TestBindingChecks runs the binding checks (and the Capillary ones)
// against the correct reference server and each binding defect.
func TestBindingChecks(t *testing.T) {
	checkDefects(t, map[string][]string{
		"":                                    nil,
		refserver.DefectCodeUnbound:           {"BIND-001", "BIND-002", "BIND-003", "BIND-004"},
		refserver.DefectCapillaryTokenUnbound: {"CAP-005", "CAP-006"},
	}, defectRun{groups: []string{GroupBinding, GroupCapillary}})
}
