package conformance

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authflow/authflow/b2core"
)

// The protocol steps the checks are built from. Steps named "setup" are
// lenient (they read what they need and tolerate type slips a shape check
// reports on its own) and end the check as ERROR when the server does not
// cooperate; the property a check is about is asserted by the check.

const api = b2core.APIPrefix

// sess is a signed-in session.
type sess struct {
	access, refresh string
	accessExpires   string
	clientID        int64
}

// fingerprint is the device fingerprint: Base64 of {"user_agent": ...}.
func (r *run) fingerprint() string {
	b, _ := jsonMarshal(map[string]string{"user_agent": r.cfg.UserAgent})
	return base64.StdEncoding.EncodeToString(b)
}

// now is the server's clock as the suite estimates it (for TOTP codes).
func (r *run) now() time.Time { return time.Now().Add(r.clockOffset) }

// randHex returns n random bytes as hex.
func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randUUID returns a random version 4 UUID.
func randUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// unknownEmail is an address no account has.
func unknownEmail() string { return "nobody-" + randHex(8) + "@conformance.invalid" }

// newPassword is a fresh strong password.
func newPassword() string { return "Cf-" + randHex(6) + "-Aa9!" }

// randPhone is a fresh E.164 number (+1 555 01xx xxxx style, fictional).
func randPhone() string {
	b := make([]byte, 4)
	rand.Read(b)
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 10_000_000
	return fmt.Sprintf("+1555%07d", n)
}

// ---- Sign In Wizard ----

// wizard starts a Sign In Wizard and returns its uuid (setup).
func (t *T) wizard() string {
	x := t.api("signin wizard", http.MethodGet, api+"/signin/wizard", nil)
	if !x.Is2xx() {
		t.Errorf("setup: GET signin/wizard failed: %s", x.StatusText())
	}
	u := jstr(x.J(), "uuid")
	if u == "" {
		t.Errorf("setup: GET signin/wizard answered no uuid")
	}
	return u
}

// signin posts credentials to a wizard.
func (t *T) signin(uuid, email, password string) *X {
	t.secret(password)
	return t.api("signin", http.MethodPost, api+"/signin", map[string]any{
		"uuid": uuid, "email": email, "password": password, "device_fingerprint": t.r.fingerprint(),
	})
}

// signinFresh starts a wizard and signs in.
func (t *T) signinFresh(email, password string) *X {
	return t.signin(t.wizard(), email, password)
}

// tokensOf extracts a token pair from a wizard answer (data.accessToken)
// or a refresh answer (accessToken), or a QR answer (tokens.accessToken).
func tokensOf(v any) (s *sess) {
	for _, base := range []string{"data", "", "tokens"} {
		a := jstr(v, joinPath(base, "accessToken.token"))
		r := jstr(v, joinPath(base, "refreshToken.token"))
		if a != "" {
			return &sess{access: a, refresh: r, accessExpires: jstr(v, joinPath(base, "accessToken.expiresAt"))}
		}
	}
	return nil
}

// workflow returns the answer's workflow.
func workflow(x *X) string { return jstr(x.J(), "workflow") }

// enabledProviders lists the enabled tfaProviders of a sign-in answer.
func enabledProviders(x *X) []string {
	var out []string
	for i := range jarr(x.J(), "data.tfaProviders") {
		p := fmt.Sprintf("data.tfaProviders[%d]", i)
		if on, _ := jbool(x.J(), p+".enabled"); on {
			out = append(out, strings.ToLower(jstr(x.J(), p+".name")))
		}
	}
	return out
}

// loginOpts pick the 2FA method at sign-in.
type loginOpts struct {
	provider string // "google", "sms" or "" (google when enabled)
}

// login signs the account in, completing 2FA when asked (setup).
func (t *T) login(a *account) *sess { return t.loginWith(a, loginOpts{}) }

func (t *T) loginWith(a *account, o loginOpts) *sess {
	uuid := t.wizard()
	x := t.signin(uuid, a.Email, a.Password)
	if !x.Is2xx() {
		t.Errorf("setup: sign-in of a fresh account failed: %s", x.StatusText())
	}
	if s := tokensOf(x.J()); s != nil {
		s.clientID = a.ID
		t.secret(s.access, s.refresh)
		return s
	}
	wf := workflow(x)
	if wf != b2core.Workflow2FA && wf != b2core.Workflow2FAGoogleAuth && wf != b2core.Workflow2FASMSAuth {
		t.Errorf("setup: sign-in answered neither tokens nor a 2FA step (workflow %q)", wf)
	}
	provider := o.provider
	if provider == "" {
		switch {
		case wf == b2core.Workflow2FASMSAuth:
			provider = b2core.ProviderSMS
		case a.TOTPSecret != "":
			provider = b2core.ProviderGoogle
		default:
			provider = b2core.ProviderSMS
		}
	}
	s := t.complete2FA(uuid, a, provider, wf, enabledProviders(x))
	s.clientID = a.ID
	return s
}

// choose2FA runs POST signin/2fa when the sign-in answered `2fa` (setup).
// When only one method is enabled and the server refuses the choice, the
// code is posted directly (the documents only require the choice when
// both methods are enabled).
func (t *T) choose2FA(uuid, provider, wf string, enabled []string) {
	if wf != b2core.Workflow2FA {
		return
	}
	x := t.api("signin 2fa choose", http.MethodPost, api+"/signin/2fa", map[string]any{"uuid": uuid, "type": provider})
	if x.Is2xx() {
		return
	}
	if len(enabled) == 1 && x.Is4xx() {
		t.Note("the server refused POST signin/2fa with a single 2FA method enabled (%s); the code was posted directly", x.StatusText())
		return
	}
	t.Errorf("setup: POST signin/2fa (%s) failed: %s", provider, x.StatusText())
}

// complete2FA chooses the method (if needed), gets a code and posts it.
func (t *T) complete2FA(uuid string, a *account, provider, wf string, enabled []string) *sess {
	var code string
	if provider == b2core.ProviderSMS {
		mark := t.markCodes(a.Phone)
		t.choose2FA(uuid, provider, wf, enabled)
		code = t.awaitCode(mark, "")
	} else {
		t.choose2FA(uuid, provider, wf, enabled)
		code = t.nextTOTP(a)
	}
	x := t.post2FACode(uuid, provider, code)
	s := tokensOf(x.J())
	if !x.Is2xx() || s == nil {
		t.Errorf("setup: POST 2fa/%s with a fresh code did not sign in: %s", provider, x.StatusText())
	}
	t.secret(s.access, s.refresh)
	return s
}

func (t *T) post2FACode(uuid, provider, code string) *X {
	t.secret(code)
	return t.api("2fa "+provider, http.MethodPost, api+"/2fa/"+provider, map[string]any{"uuid": uuid, "code": code})
}

// nextTOTP returns a never-used TOTP code for the account, waiting if the
// steps ran ahead of the clock.
func (t *T) nextTOTP(a *account) string {
	if a.totp == nil {
		t.Errorf("setup: the account has no TOTP secret")
	}
	code, wait := a.totp.next(t.r.now())
	t.sleep(wait)
	t.secret(code)
	return code
}

// to2FAStep signs in and brings the wizard to the code step of provider,
// returning the uuid (setup). For SMS it also returns the code sent.
func (t *T) to2FAStep(a *account, provider string) (uuid, smsCode string) {
	uuid = t.wizard()
	var mark codeMark
	if provider == b2core.ProviderSMS {
		mark = t.markCodes(a.Phone)
	}
	x := t.signin(uuid, a.Email, a.Password)
	wf := workflow(x)
	if !x.Is2xx() || (wf != b2core.Workflow2FA && wf != b2core.Workflow2FAGoogleAuth && wf != b2core.Workflow2FASMSAuth) {
		t.Errorf("setup: sign-in of a 2FA account did not ask for 2FA: %s, workflow %q", x.StatusText(), wf)
	}
	t.choose2FA(uuid, provider, wf, enabledProviders(x))
	if provider == b2core.ProviderSMS {
		smsCode = t.awaitCode(mark, "")
	}
	return uuid, smsCode
}

// ---- tokens ----

// refresh posts a refresh token.
func (t *T) refresh(token string) *X {
	t.secret(token)
	return t.api("refresh", http.MethodPost, api+"/refresh", map[string]any{"refreshToken": token})
}

// authProbe calls GET 2fa with the access token: 200 when it works.
func (t *T) authProbe(access string) *X {
	return t.api("auth probe (GET 2fa)", http.MethodGet, api+"/2fa", nil, withBearer(access))
}

// ---- challenges, success tokens ----

// successTokenOf reads a success token (token or successToken).
func successTokenOf(x *X) string {
	if s := jstr(x.J(), "token"); s != "" {
		return s
	}
	return jstr(x.J(), "successToken")
}

// startChallenge starts a 2FA challenge, authorized by s or, when s is nil,
// unauthorized for a's email. It returns the mark to await the emailed code
// from, the answer, and the confirmation token (masked in evidence).
func (t *T) startChallenge(a *account, s *sess) (codeMark, *X, string) {
	mark := t.markCodes(a.Email)
	var x *X
	if s != nil {
		x = t.api("2fa challenge start", http.MethodGet, api+"/2fa/challenge", nil, withBearer(s.access))
	} else {
		x = t.api("2fa unauthorized challenge start", http.MethodGet, api+"/2fa/unauthorized/challenge?email="+url.QueryEscape(a.Email), nil)
	}
	conf := jstr(x.J(), "token")
	t.secret(conf)
	return mark, x, conf
}

// challenge runs a 2FA challenge to a success token (setup): authorized by
// s, or unauthorized for a's email when s is nil.
func (t *T) challenge(a *account, s *sess) string {
	mark, x, conf := t.startChallenge(a, s)
	start, access := "GET 2fa/challenge", ""
	if s != nil {
		access = s.access
	} else {
		start = "GET 2fa/unauthorized/challenge"
	}
	if !x.Is2xx() || conf == "" {
		t.Errorf("setup: %s failed: %s", start, x.StatusText())
	}
	code := t.awaitCode(mark, "")
	y := t.completeChallenge(conf, code, access)
	st := successTokenOf(y)
	if !y.Is2xx() || st == "" {
		t.Errorf("setup: POST 2fa/challenge failed: %s", y.StatusText())
	}
	t.secret(st)
	return st
}

func (t *T) completeChallenge(conf, code, access string) *X {
	t.secret(conf, code)
	var opts []callOpt
	if access != "" {
		opts = append(opts, withBearer(access))
	}
	return t.api("2fa challenge complete", http.MethodPost, api+"/2fa/challenge", map[string]any{"token": conf, "code": code}, opts...)
}

// changePassword posts password/change.
func (t *T) changePassword(access, successToken, pw string) *X {
	t.secret(pw, successToken)
	var opts []callOpt
	if access != "" {
		opts = append(opts, withBearer(access))
	}
	if successToken != "" {
		opts = append(opts, withHeader("successToken", successToken))
	}
	return t.api("password change", http.MethodPost, api+"/password/change", map[string]any{"password": pw}, opts...)
}

// restorePassword posts password/restore.
func (t *T) restorePassword(successToken, pw string) *X {
	t.secret(pw, successToken)
	var opts []callOpt
	if successToken != "" {
		opts = append(opts, withHeader("successToken", successToken))
	}
	return t.api("password restore", http.MethodPost, api+"/password/restore", map[string]any{"password": pw}, opts...)
}

// signsIn reports whether the password gets past the password step
// (tokens, or a 2FA or reset step), and the answer.
func (t *T) signsIn(email, password string) (bool, *X) {
	x := t.signinFresh(email, password)
	if !x.Is2xx() {
		return false, x
	}
	if tokensOf(x.J()) != nil {
		return true, x
	}
	switch workflow(x) {
	case b2core.Workflow2FA, b2core.Workflow2FAGoogleAuth, b2core.Workflow2FASMSAuth, b2core.WorkflowResetPasswordEmail:
		return true, x
	}
	return false, x
}

// ---- 2FA management ----

// enableGoogle enables Google 2FA through the wizard and keeps the new
// secret in the account (setup).
func (t *T) enableGoogle(a *account, s *sess) {
	x := t.api("2fa google enable wizard", http.MethodGet, api+"/2fa/google/enable/wizard", nil, withBearer(s.access))
	uuid, key := jstr(x.J(), "uuid"), jstr(x.J(), "data.key")
	if !x.Is2xx() || uuid == "" || key == "" {
		t.Errorf("setup: GET 2fa/google/enable/wizard failed: %s", x.StatusText())
	}
	t.secret(key)
	seq, err := newTOTPSeq(key)
	if err != nil {
		t.Errorf("setup: the enable wizard's key: %v", err)
	}
	a.TOTPSecret, a.totp = key, seq
	code := t.nextTOTP(a)
	y := t.api("2fa wizard (enable google)", http.MethodPost, api+"/2fa/wizard",
		map[string]any{"uuid": uuid, "action": "code", "code": code, "key": key}, withBearer(s.access))
	if !y.Is2xx() {
		t.Errorf("setup: POST 2fa/wizard (enable google) failed: %s", y.StatusText())
	}
}

// enableSMS enables SMS 2FA for phone through the wizard (setup).
func (t *T) enableSMS(a *account, s *sess, phone string) {
	x := t.api("2fa sms enable wizard", http.MethodGet, api+"/2fa/sms/enable/wizard", nil, withBearer(s.access))
	uuid := jstr(x.J(), "uuid")
	if !x.Is2xx() || uuid == "" {
		t.Errorf("setup: GET 2fa/sms/enable/wizard failed: %s", x.StatusText())
	}
	mark := t.markCodes(phone)
	y := t.api("2fa wizard (phone)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": uuid, "phone": phone}, withBearer(s.access))
	if !y.Is2xx() {
		t.Errorf("setup: POST 2fa/wizard (phone) failed: %s", y.StatusText())
	}
	code := t.awaitCode(mark, "")
	z := t.api("2fa wizard (confirm phone)", http.MethodPost, api+"/2fa/wizard",
		map[string]any{"uuid": uuid, "action": "code", "code": code}, withBearer(s.access))
	if !z.Is2xx() {
		t.Errorf("setup: POST 2fa/wizard (confirm phone) failed: %s", z.StatusText())
	}
	a.Phone = phone
}

// disable2FA disables provider through the wizard (setup).
func (t *T) disable2FA(a *account, s *sess, provider string) {
	var mark codeMark
	if provider == b2core.ProviderSMS {
		mark = t.markCodes(a.Phone)
	}
	x := t.api("2fa "+provider+" disable wizard", http.MethodGet, api+"/2fa/"+provider+"/disable/wizard", nil, withBearer(s.access))
	uuid := jstr(x.J(), "uuid")
	if !x.Is2xx() || uuid == "" {
		t.Errorf("setup: GET 2fa/%s/disable/wizard failed: %s", provider, x.StatusText())
	}
	var code string
	if provider == b2core.ProviderSMS {
		code = t.awaitCode(mark, "")
	} else {
		code = t.nextTOTP(a)
	}
	y := t.api("2fa wizard (disable "+provider+")", http.MethodPost, api+"/2fa/wizard",
		map[string]any{"uuid": uuid, "action": "code", "code": code}, withBearer(s.access))
	if !y.Is2xx() {
		t.Errorf("setup: POST 2fa/wizard (disable %s) failed: %s", provider, y.StatusText())
	}
}

// ---- histories ----

// historyQuery builds the query of a history call.
func historyQuery(params map[string]string) string {
	if len(params) == 0 {
		return ""
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(params[k]))
	}
	return "?" + strings.Join(parts, "&")
}

// historyRecord is one history entry as the checks compare them.
type historyRecord struct {
	id   int64
	kind string // password: type; 2FA: provider
	on   bool   // 2FA: isEnabled
	time string
}

// listHistory reads a history list (setup: the call must answer 2xx).
func (t *T) listHistory(path string, s *sess, params map[string]string) ([]historyRecord, *X) {
	x := t.api("history "+path, http.MethodGet, api+path+historyQuery(params), nil, withBearer(s.access))
	if !x.Is2xx() {
		t.Errorf("setup: GET %s failed: %s", path, x.StatusText())
	}
	var out []historyRecord
	for i := range jarr(x.J(), "data") {
		p := fmt.Sprintf("data[%d]", i)
		id, _ := jint(x.J(), p+".id")
		r := historyRecord{id: id, time: jstr(x.J(), p+".time")}
		if path == "/password/changes" {
			r.kind, r.time = jstr(x.J(), p+".type"), jstr(x.J(), p+".createTime")
		} else {
			r.kind = jstr(x.J(), p+".provider")
			r.on, _ = jbool(x.J(), p+".isEnabled")
		}
		out = append(out, r)
	}
	return out, x
}

func urlq(s string) string { return url.QueryEscape(s) }

func jsonMarshal(v any) ([]byte, error) { return jsonMarshalNoEscape(v) }
