package conformance

import (
	"testing"

	"github.com/authflow/authflow/refserver"
)

// TestWindowChecks runs the window checks against the correct reference
// server (every one passes) and against each time-window defect (its
// checks FAIL, the others pass), all side by side.
func TestWindowChecks(t *testing.T) {
	ids := []string{"LOCK-010", "LOCK-011", "LOCK-012", "TOKEN-011", "TOKEN-012", "TOKEN-013", "LOCK-005", "TOKEN-005"}
	checkDefects(t, map[string][]string{
		"":                                  nil,
		refserver.DefectWindowSticky:        {"LOCK-010", "TOKEN-011"},
		refserver.DefectBlockShort:          {"LOCK-011", "TOKEN-012"},
		refserver.DefectRetryAfterFullBlock: {"LOCK-012", "TOKEN-013"},
	}, defectRun{checks: ids, count: len(ids), skipOK: true})
}
