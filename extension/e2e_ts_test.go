package extension

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// The TypeScript examples run as they are (k6 v2 runs .ts directly) against
// both personalities of the reference server; `tsc --noEmit --strict` checks the same files
// against index.d.ts (TestDeclarationsMatchRuntime and make types).
var e2eTSCases = []e2eCase{
	{script: "signin.ts", minFlows: map[string]float64{"signin": 10, "signout": 10}},
	{script: "tfa_enrol.ts", minFlows: map[string]float64{"2fa_enable_google": 2, "2fa_enable_sms": 2, "2fa_disable": 4}},
	{script: "session_pool.ts", minFlows: map[string]float64{"tfa_changes": 30, "password_changes": 30}},
}

func TestE2ETypeScriptExamples(t *testing.T) {
	k6 := k6Binary(t)
	for _, variant := range e2eVariants {
		for _, c := range e2eTSCases {
			t.Run(variant+"/"+strings.TrimSuffix(c.script, ".ts"), func(t *testing.T) {
				srv := refServer(t, refserver.Config{Variant: variant})
				code, s, out := runK6(t, k6, c.script, "AUTHFLOW_BASE_URL="+srv.URL, "AUTHFLOW_HOOKS_URL=")
				require.Equal(t, 0, code, out)
				checkSummary(t, c, s, out)
			})
		}
	}
}
