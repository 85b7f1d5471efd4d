package conformance

import (
	"testing"

	"github.com/authflow/authflow/refserver"
)

// TestWizardChecks runs the state-machine checks against the correct
// reference server and the wizard defects.
func TestWizardChecks(t *testing.T) {
	checkDefects(t, map[string][]string{
		"":                               nil,
		refserver.DefectResetBeforeCode:  {"WIZ-004"},
		refserver.DefectWizardUUIDReplay: {"WIZ-001", "WIZ-004"},
	}, defectRun{checks: []string{"WIZ-"}, count: len(wizFlows)})
}
