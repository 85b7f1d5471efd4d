package extension

import "testing"

// The TypeScript examples run as they are (k6 v2 runs .ts directly) against
// both personalities of the reference server; `tsc --noEmit --strict` checks
// the same files against index.d.ts (TestDeclarationsMatchRuntime and make
// types).
var e2eTSCases = []e2eCase{
	{script: "signin.ts", minFlows: map[string]float64{"signin": 10, "signout": 10}},
	{script: "tfa_enrol.ts", minFlows: map[string]float64{"2fa_enable_google": 2, "2fa_enable_sms": 2, "2fa_disable": 4}},
	{script: "session_pool.ts", minFlows: map[string]float64{"tfa_changes": 30, "password_changes": 30}},
}

func TestE2ETypeScriptExamples(t *testing.T) { runExamples(t, e2eTSCases) }
