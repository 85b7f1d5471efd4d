package conformance

import (
	"testing"

	"github.com/authflow/authflow/refserver"
)

func TestDodgeChecks(t *testing.T) {
	checkDefects(t, map[string][]string{
		"":                                     nil,
		refserver.DefectLockoutCaseSensitive:   {"LOCK-013"},
		refserver.DefectRefreshLimitPerSession: {"TOKEN-014"},
	}, defectRun{checks: []string{"LOCK-013", "TOKEN-014", "LOCK-001", "TOKEN-003"}, count: 4})
}
