package conformance

import (
	"net/http"

	"github.com/authflow/authflow/b2core"
)

// Bindings: a code sent to one client works for that client's step only.
// Each check brings two fresh clients, A and B, to the same step, posts
// A's code to B's step (it must be refused), then B's own code (it must
// still work: the refusal changed nothing).

func init() {
	codeSrc := src(docCT, "Undocumented calls (SMS and email codes … a code is single-use)") + "; " + src(docCT, "Sign-in and lockout (a code is sent to the client)")
	register(
		&Check{ID: "BIND-001", Title: "An SMS sign-in code sent to one client does not sign another in", Group: GroupBinding, Level: MUST,
			Source: codeSrc, Refs: []string{"ASVS 5.0 V6.6"}, Run: bindSMSSignIn},
		&Check{ID: "BIND-002", Title: "An emailed challenge code of one client does not complete another's challenge", Group: GroupBinding, Level: MUST,
			Source: codeSrc, Refs: []string{"ASVS 5.0 V6.6"}, Run: bindChallenge},
		&Check{ID: "BIND-003", Title: "An unauthorized challenge's code does not complete another email's challenge", Group: GroupBinding, Level: MUST,
			Source: codeSrc, Refs: []string{"ASVS 5.0 V6.6"}, Run: bindUnauthorizedChallenge},
		&Check{ID: "BIND-004", Title: "A reset-required sign-in's emailed code does not pass another client's wizard", Group: GroupBinding, Level: MUST,
			Source: codeSrc + "; " + src(doc002, "Reset password from the Sign In page"), Refs: []string{"ASVS 5.0 V6.6"}, Run: bindResetCode},
	)
}

// distinctCodes SKIPs in the (one in a million) case that two clients got
// the same code: A's code would be B's.
func (t *T) distinctCodes(a, b string) {
	if a == b {
		t.Skip("precondition not met: both clients were sent the same code by chance")
	}
}

func bindSMSSignIn(t *T) {
	a := t.newAccount(b2core.ProviderSMS)
	b := t.newAccount(b2core.ProviderSMS)
	_, codeA := t.to2FAStep(a, b2core.ProviderSMS)
	uuidB, codeB := t.to2FAStep(b, b2core.ProviderSMS)
	t.distinctCodes(codeA, codeB)
	x := t.post2FACode(uuidB, b2core.ProviderSMS, codeA)
	t.wantRejected(x, "client B's wizard with the SMS code sent to client A")
	t.wantNoTokens(x, "client B's wizard with client A's code")
	y := t.post2FACode(uuidB, b2core.ProviderSMS, codeB)
	t.Expect(y.Is2xx() && tokensOf(y.J()) != nil, y, "client B's own code after the refused one: want tokens")
}

func bindChallenge(t *T) {
	a, b := t.newAccount(), t.newAccount()
	sa, sb := t.login(a), t.login(b)
	markA, xa, _ := t.startChallenge(a, sa)
	markB, xb, confB := t.startChallenge(b, sb)
	if !xa.Is2xx() || !xb.Is2xx() || confB == "" {
		t.Errorf("setup: GET 2fa/challenge failed: %s, %s", xa.StatusText(), xb.StatusText())
	}
	codeA, codeB := t.awaitCode(markA, ""), t.awaitCode(markB, "")
	t.distinctCodes(codeA, codeB)
	x := t.completeChallenge(confB, codeA, sb.access)
	t.wantRejected(x, "client B's challenge with the code emailed to client A")
	t.Expect(successTokenOf(x) == "", x, "the refused challenge handed out a success token")
	y := t.completeChallenge(confB, codeB, sb.access)
	t.Expect(y.Is2xx() && successTokenOf(y) != "", y, "client B's own code after the refused one: want a success token")
}

func bindUnauthorizedChallenge(t *T) {
	a, b := t.newAccount(), t.newAccount()
	markA, xa, _ := t.startChallenge(a, nil)
	markB, xb, confB := t.startChallenge(b, nil)
	if !xa.Is2xx() || !xb.Is2xx() || confB == "" {
		t.Errorf("setup: GET 2fa/unauthorized/challenge failed: %s, %s", xa.StatusText(), xb.StatusText())
	}
	codeA, codeB := t.awaitCode(markA, ""), t.awaitCode(markB, "")
	t.distinctCodes(codeA, codeB)
	x := t.completeChallenge(confB, codeA, "")
	t.wantRejected(x, "the challenge of email B with the code emailed to A")
	t.Expect(successTokenOf(x) == "", x, "the refused challenge handed out a success token")
	y := t.completeChallenge(confB, codeB, "")
	t.Expect(y.Is2xx() && successTokenOf(y) != "", y, "email B's own code after the refused one: want a success token")
}

// toResetCode signs a reset-required account in up to the emailed code
// step and returns the wizard and the code (setup).
func (t *T) toResetCode(a *account) (uuid, code string) {
	t.markResetRequired(a)
	uuid = t.wizard()
	mark := t.markCodes(a.Email)
	x := t.signin(uuid, a.Email, a.Password)
	if workflow(x) != b2core.WorkflowResetPasswordEmail {
		t.Errorf("setup: a reset-required sign-in answered workflow %q (%s); see SIGNIN-005", workflow(x), x.StatusText())
	}
	return uuid, t.awaitCode(mark, "")
}

func (t *T) postResetCode(uuid, code string) *X {
	t.secret(code)
	return t.api("signin password restore", http.MethodPost, api+"/signin/password/restore", map[string]any{"uuid": uuid, "action": "code", "code": code})
}

func bindResetCode(t *T) {
	a, b := t.newAccount(), t.newAccount()
	_, codeA := t.toResetCode(a)
	uuidB, codeB := t.toResetCode(b)
	t.distinctCodes(codeA, codeB)
	x := t.postResetCode(uuidB, codeA)
	t.wantRejected(x, "client B's reset wizard with the code emailed to client A")
	t.Expect(workflow(x) != b2core.WorkflowResetPassword, x, "client B's wizard moved on to reset_password with client A's code")
	y := t.postResetCode(uuidB, codeB)
	t.Expect(y.Is2xx() && workflow(y) == b2core.WorkflowResetPassword, y, "client B's own code after the refused one: want workflow reset_password")
}
