package conformance

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/authflow/authflow/b2core"
)

// The Sign In Wizard's state machine (CONTRACT.md): login → (2fa →
// 2fa_google_auth | 2fa_sms_auth) → done, or reset_password_email →
// reset_password → done. The checks are generated from that graph: for
// each workflow a fresh wizard is walked along its path, and at every state
// on the way (done included) every call that is not that state's step is
// made (with the right password, codes already sent, a new password) and
// must be refused with a 4xx and no tokens. The walk must then go on as if
// nothing happened; at the end the account's password is the one the walk
// set, the new passwords sent out of order do not sign in, and no lockout
// was counted.

const wizDone = "done"

// wizCall is one call of the wizard and the state it is the step of.
type wizCall struct {
	name string
	step string
}

var wizCalls = []wizCall{
	{"POST signin", b2core.WorkflowLogin},
	{"POST signin/2fa", b2core.Workflow2FA},
	{"POST 2fa/google", b2core.Workflow2FAGoogleAuth},
	{"POST 2fa/sms", b2core.Workflow2FASMSAuth},
	{"POST signin/password/restore", b2core.WorkflowResetPasswordEmail},
	{"POST signin/password/reset", b2core.WorkflowResetPassword},
}

// wizFlow is one workflow of the graph.
type wizFlow struct {
	id, name  string
	twoFactor []string
	reset     bool
	provider  string
	path      []string // the states the walk must go through
}

var wizFlows = []wizFlow{
	{"WIZ-001", "sign-in without 2FA", nil, false, "", []string{b2core.WorkflowLogin, wizDone}},
	{"WIZ-002", "Google Authenticator sign-in", []string{b2core.ProviderGoogle}, false, b2core.ProviderGoogle,
		[]string{b2core.WorkflowLogin, b2core.Workflow2FA, b2core.Workflow2FAGoogleAuth, wizDone}},
	{"WIZ-003", "SMS sign-in", []string{b2core.ProviderSMS}, false, b2core.ProviderSMS,
		[]string{b2core.WorkflowLogin, b2core.Workflow2FA, b2core.Workflow2FASMSAuth, wizDone}},
	{"WIZ-004", "reset-required sign-in", nil, true, "",
		[]string{b2core.WorkflowLogin, b2core.WorkflowResetPasswordEmail, b2core.WorkflowResetPassword, wizDone}},
}

func init() {
	for _, f := range wizFlows {
		register(&Check{ID: f.id, Title: "Every out-of-order call on a fresh " + f.name + " wizard is refused and changes nothing",
			Group: GroupSignIn, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (a call made at the wrong step … is rejected with a 4xx and changes nothing)"),
			Refs:   []string{"ASVS 5.0 2.3.1"}, Run: wizardCheck(f)})
	}
}

// wizardCheck is the check of flow f.
func wizardCheck(f wizFlow) func(t *T) {
	return func(t *T) { walkWizard(t, f) }
}

// wizWalk is a walk along one flow.
type wizWalk struct {
	t                  *T
	f                  wizFlow
	a                  *account
	uuid, state        string
	smsCode, resetCode string // codes sent so far (used ones too)
	strayPw            string // the new password sent out of order
	seen               []string
}

func walkWizard(t *T, f wizFlow) {
	a := t.createAccount(f.twoFactor, false)
	if f.reset {
		t.markResetRequired(a)
	}
	w := &wizWalk{t: t, f: f, a: a, uuid: t.wizard(), state: b2core.WorkflowLogin, strayPw: newPassword()}
	t.secret(w.strayPw)
	for len(w.seen) <= len(f.path) {
		w.seen = append(w.seen, w.state)
		w.outOfOrder()
		if w.state == wizDone {
			break
		}
		w.advance()
	}
	if !slices.Equal(w.seen, f.path) {
		t.Note("the walk went through %v", w.seen)
	}
	w.unchanged()
}

// outOfOrder makes every call that is not the current state's step.
func (w *wizWalk) outOfOrder() {
	t := w.t
	var mark codeMark
	if w.f.provider == b2core.ProviderSMS && w.smsCode == "" {
		mark = t.markCodes(w.a.Phone)
	}
	for _, c := range wizCalls {
		if c.step == w.state {
			continue
		}
		x := w.send(c, fmt.Sprintf("out of order at %s", w.state))
		t.wantRejected(x, fmt.Sprintf("%s at workflow %s", c.name, w.state))
	}
	if mark.to != "" {
		if m := t.latestMessage(w.a.Phone); m.exists && (m.sentAt != mark.prev.sentAt || m.code != mark.prev.code) {
			t.Fail("an SMS code was sent to the client by a call refused at workflow %s", w.state)
		}
	}
}

// send makes call c with the most telling payload at hand: the right
// password, the codes already sent, a new password.
func (w *wizWalk) send(c wizCall, step string) *X {
	t, a := w.t, w.a
	body := map[string]any{"uuid": w.uuid}
	switch c.step {
	case b2core.WorkflowLogin:
		t.secret(a.Password)
		body["email"], body["password"], body["device_fingerprint"] = a.Email, a.Password, t.r.fingerprint()
	case b2core.Workflow2FA:
		body["type"] = cmpOr(w.f.provider, b2core.ProviderGoogle)
	case b2core.Workflow2FAGoogleAuth:
		code := "000000"
		if a.totp != nil {
			code = wrongTOTP(a.totp.key, t.r.now()) // a right one would use up a TOTP step
		}
		body["code"] = code
	case b2core.Workflow2FASMSAuth:
		body["code"] = cmpOr(w.smsCode, "000000")
	case b2core.WorkflowResetPasswordEmail:
		body["action"], body["code"] = "code", cmpOr(w.resetCode, "000000")
	case b2core.WorkflowResetPassword:
		body["password"], body["passwordConfirmation"] = w.strayPw, w.strayPw
	}
	if code, ok := body["code"].(string); ok {
		t.secret(code)
	}
	return t.api(step+": "+c.name, http.MethodPost, api+wizPath(c), body)
}

func wizPath(c wizCall) string {
	return "/" + c.name[len("POST "):]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// advance makes the current state's step and moves to the state answered.
func (w *wizWalk) advance() {
	t, a := w.t, w.a
	var x *X
	switch w.state {
	case b2core.WorkflowLogin:
		var mark codeMark
		if w.f.reset {
			mark = t.markCodes(a.Email)
		} else if w.f.provider == b2core.ProviderSMS {
			mark = t.markCodes(a.Phone)
		}
		x = w.send(wizCalls[0], "step")
		if wf := workflow(x); wf == b2core.WorkflowResetPasswordEmail {
			w.resetCode = t.awaitCode(mark, "")
		} else if wf == b2core.Workflow2FASMSAuth {
			w.smsCode = t.awaitCode(mark, "")
		}
	case b2core.Workflow2FA:
		var mark codeMark
		if w.f.provider == b2core.ProviderSMS {
			mark = t.markCodes(a.Phone)
		}
		x = w.send(wizCalls[1], "step")
		if !x.Is2xx() && x.Is4xx() && len(w.f.twoFactor) == 1 {
			// As choose2FA: with one method the documents do not require
			// the choice; the code is posted directly.
			t.Note("the server refused POST signin/2fa with a single 2FA method enabled (%s); the code was posted directly", x.StatusText())
			w.state = b2core.Workflow2FAGoogleAuth
			if w.f.provider == b2core.ProviderSMS {
				w.state, w.smsCode = b2core.Workflow2FASMSAuth, t.awaitCode(mark, "")
			}
			return
		}
		if w.f.provider == b2core.ProviderSMS && x.Is2xx() {
			w.smsCode = t.awaitCode(mark, "")
		}
	case b2core.Workflow2FAGoogleAuth:
		x = t.post2FACode(w.uuid, b2core.ProviderGoogle, t.nextTOTP(a))
	case b2core.Workflow2FASMSAuth:
		x = t.post2FACode(w.uuid, b2core.ProviderSMS, w.smsCode)
	case b2core.WorkflowResetPasswordEmail:
		x = w.send(wizCalls[4], "step")
	case b2core.WorkflowResetPassword:
		pw := newPassword()
		t.secret(pw)
		x = t.api("step: POST signin/password/reset", http.MethodPost, api+"/signin/password/reset",
			map[string]any{"uuid": w.uuid, "password": pw, "passwordConfirmation": pw})
		if x.Is2xx() {
			a.Password = pw
		}
	default:
		t.FailNow("the wizard answered workflow %q, which is not in the graph (from %s)", w.state, w.seen)
	}
	t.Require(x.Is2xx(), x, "the step of workflow %s, after the refused out-of-order calls: want a 2xx (the refused calls must change nothing)", w.state)
	switch {
	case tokensOf(x.J()) != nil, w.state == b2core.WorkflowResetPassword:
		w.state = wizDone
	default:
		w.state = workflow(x)
	}
}

// unchanged checks that the walk's password signs in (no lockout was
// counted for the refused calls) and the stray one does not.
func (w *wizWalk) unchanged() {
	ok, x := w.t.signsIn(w.a.Email, w.a.Password)
	w.t.Expect(ok, x, "after the walk the client's password does not sign in: the refused calls changed something (a lockout counted, a password replaced)")
	ok, x = w.t.signsIn(w.a.Email, w.strayPw)
	w.t.Expect(!ok, x, "the new password sent to a refused signin/password/reset signs in")
}
