package conformance

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// Shapes: every answer of every documented call has the documented fields
// with the documented types and enum values. Extra fields are tolerated,
// and so are the documents' own slips (seeds/README.md): the success token
// named `token` or `successToken`; `data` of a finished 2FA wizard as [],
// {} or null; the disable wizard's `done`.

// Doc sources.
const (
	doc002 = "seeds/002 Authentication"
	doc001 = "seeds/001 Two-factor authentication"
	doc000 = "seeds/000 Passwords"
	doc003 = "seeds/003 Capillary MFA password change"
	docCT  = "CONTRACT.md"
)

func src(doc, section string) string { return doc + ": " + section }

var (
	tokenSchema = Schema{f("token", KString), f("createdAt", KTime), f("expiresAt", KTime)}
	// wizardFrame is the frame of every wizard answer.
	wizardFrame  = Schema{f("code", KInt), f("done", KBool), f("uuid", KString), f("workflow", KString)}
	providerEnum = []string{b2core.ProviderSMS, b2core.ProviderGoogle}
	tfaProviders = Schema{
		f("data.tfaProviders", KArray),
		fEnum("data.tfaProviders[].name", providerEnum...),
		f("data.tfaProviders[].localizedCaption", KString),
		f("data.tfaProviders[].enabled", KBool),
	}
	statusNames = []string{b2core.ProviderGoogle, b2core.ProviderSMS, "SMS"} // the document writes SMS once
	tfaStatus   = Schema{f("caption", KString), f("isEnabled", KBool), fEnum("name", statusNames...)}
	tfaChange   = Schema{f("id", KInt), fEnum("provider", providerEnum...), f("isEnabled", KBool), f("time", KTime|KNull)}
	pwdChange   = Schema{f("id", KInt), fEnum("type", b2core.PasswordChanged, b2core.PasswordRestored), f("createTime", KTime)}
	capStatus   = Schema{f("status", KObject), f("status.success", KBool), f("status.code", KInt), f("status.message", KString)}
)

func concat(ss ...Schema) Schema {
	var out Schema
	for _, s := range ss {
		out = append(out, s...)
	}
	return out
}

// shape checks x's JSON body against s and records each violation. what
// names the answer in the reason.
func (t *T) shape(x *X, what string, s Schema) bool {
	v, err := x.JSON()
	if err != nil {
		t.Expect(false, x, "%s: the body is not JSON: %v", what, err)
		return false
	}
	ok := true
	for _, viol := range s.Check(v) {
		ok = false
		t.Expect(false, x, "%s: %s", what, viol)
	}
	return ok
}

// shapeOK requires a 2xx answer and checks its shape.
func (t *T) shapeOK(x *X, what string, s Schema) bool {
	if !t.Expect(x.Is2xx(), x, "%s: want a 2xx answer", what) {
		return false
	}
	return t.shape(x, what, s)
}

func init() {
	register(
		&Check{
			ID: "SHAPE-001", Title: "Sign In Wizard initialization answer has the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Initialize the Sign In Wizard"),
			Run: func(t *T) {
				x := t.api("signin wizard", http.MethodGet, api+"/signin/wizard", nil)
				t.shapeOK(x, "GET signin/wizard", concat(wizardFrame, Schema{
					f("data", KObject),
					f("data.recaptcha", KObject),
					f("data.recaptcha.enabled", KBool),
					f("data.is_qr_available", KBool),
					f("data.is_password_recovery_available", KBool),
					fEnum("workflow", b2core.WorkflowLogin),
				}))
			},
		},
		&Check{
			ID: "SHAPE-002", Title: "Final sign-in answer has the documented token pair and 2FA providers", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Sign in to the B2Core UI (response)"),
			Run: func(t *T) {
				a := t.newAccount()
				x := t.signinFresh(a.Email, a.Password)
				t.shapeOK(x, "POST signin (no 2FA)", concat(wizardFrame, Schema{
					f("data", KObject),
					fEnum("workflow", b2core.WorkflowLogin, b2core.Workflow2FA, b2core.WorkflowResetPasswordEmail),
				}, tokenSchema.Prefix("data.accessToken"), tokenSchema.Prefix("data.refreshToken"), tfaProviders))
			},
		},
		&Check{
			ID: "SHAPE-003", Title: "2FA-step sign-in answer has the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Sign in to the B2Core UI (response, workflow 2fa)"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle, b2core.ProviderSMS)
				x := t.signinFresh(a.Email, a.Password)
				t.shapeOK(x, "POST signin (2FA enabled)", concat(wizardFrame, Schema{
					f("data", KObject),
					fOpt("data.accessToken", KObject|KNull),
					fOpt("data.refreshToken", KObject|KNull),
					fEnum("workflow", b2core.WorkflowLogin, b2core.Workflow2FA, b2core.WorkflowResetPasswordEmail),
				}, tfaProviders))
			},
		},
		&Check{
			ID: "SHAPE-004", Title: "2FA method choice answer has the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Choose a 2FA method (response)"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle, b2core.ProviderSMS)
				for _, p := range []string{b2core.ProviderGoogle, b2core.ProviderSMS} {
					uuid := t.wizard()
					x := t.signin(uuid, a.Email, a.Password)
					if !x.Is2xx() {
						t.Errorf("setup: sign-in failed: %s", x.StatusText())
					}
					y := t.api("signin 2fa choose", http.MethodPost, api+"/signin/2fa", map[string]any{"uuid": uuid, "type": p})
					t.shapeOK(y, "POST signin/2fa ("+p+")", concat(wizardFrame, Schema{
						f("data", KNull|KObject),
						fEnum("workflow", b2core.Workflow2FAGoogleAuth, b2core.Workflow2FASMSAuth),
					}))
				}
			},
		},
		&Check{
			ID: "SHAPE-005", Title: "Google Authenticator code answer has the documented token pair", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Use Google Authenticator to secure access (response)"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle)
				uuid, _ := t.to2FAStep(a, b2core.ProviderGoogle)
				x := t.post2FACode(uuid, b2core.ProviderGoogle, t.nextTOTP(a))
				t.shapeOK(x, "POST 2fa/google", concat(wizardFrame, Schema{f("data", KObject)},
					tokenSchema.Prefix("data.accessToken"), tokenSchema.Prefix("data.refreshToken")))
			},
		},
		&Check{
			ID: "SHAPE-006", Title: "SMS code answer has the documented token pair", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Use an SMS code to secure access (response)"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderSMS)
				uuid, code := t.to2FAStep(a, b2core.ProviderSMS)
				x := t.post2FACode(uuid, b2core.ProviderSMS, code)
				t.shapeOK(x, "POST 2fa/sms", concat(wizardFrame, Schema{f("data", KObject)},
					tokenSchema.Prefix("data.accessToken"), tokenSchema.Prefix("data.refreshToken")))
			},
		},
		&Check{
			ID: "SHAPE-007", Title: "Refresh answer has the documented token pair", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Refresh the access token (response)"),
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.refresh(s.refresh)
				t.shapeOK(x, "POST refresh", concat(Schema{f("accessToken", KObject), f("refreshToken", KObject)},
					tokenSchema.Prefix("accessToken"), tokenSchema.Prefix("refreshToken")))
			},
		},
		&Check{
			ID: "SHAPE-008", Title: "QR sign-in answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Get a QR code sign-in channel; Sign in using a QR code") + "; " + src(docCT, "Undocumented calls (signin/tokens)"),
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.api("qr channel", http.MethodGet, api+"/signin/qrcodes", nil)
				t.shapeOK(x, "GET signin/qrcodes", Schema{f("id", KString), f("lifetimeMinutes", KInt), f("ip", KString), f("location", KString|KNull)})
				id := jstr(x.J(), "id")
				if id == "" {
					t.Errorf("setup: no channel id")
				}
				y := t.api("qr authorize", http.MethodPost, api+"/signin/tokens", map[string]any{"channelId": id}, withBearer(s.access))
				t.shapeOK(y, "POST signin/tokens", Schema{f("authorizationToken", KString)})
				at := jstr(y.J(), "authorizationToken")
				if at == "" {
					t.Errorf("setup: no authorization token")
				}
				t.secret(at)
				z := t.api("qr sign-in", http.MethodPost, api+"/signin/qrcodes", map[string]any{"deviceFingerprint": t.r.fingerprint(), "authorizationToken": at})
				t.shapeOK(z, "POST signin/qrcodes", concat(Schema{f("clientId", KInt), f("tokens", KObject)},
					tokenSchema.Prefix("tokens.accessToken"), tokenSchema.Prefix("tokens.refreshToken")))
			},
		},
		&Check{
			ID: "SHAPE-009", Title: "Sign In page password reset answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc002, "Reset a password from the Sign In page; Set up a new password from the Sign In page"),
			Run: func(t *T) {
				a := t.createAccount(nil, true)
				uuid := t.wizard()
				mark := t.markCodes(a.Email)
				x := t.signin(uuid, a.Email, a.Password)
				t.shapeOK(x, "POST signin (reset required)", concat(wizardFrame, Schema{
					f("data", KObject|KNull),
					fEnum("workflow", b2core.WorkflowLogin, b2core.Workflow2FA, b2core.WorkflowResetPasswordEmail),
				}))
				code := t.awaitCode(mark, "")
				y := t.api("signin password restore", http.MethodPost, api+"/signin/password/restore", map[string]any{"uuid": uuid, "action": "code", "code": code})
				t.shapeOK(y, "POST signin/password/restore", concat(wizardFrame, Schema{
					f("data", KObject|KNull),
					fEnum("workflow", b2core.WorkflowResetPassword),
				}))
				pw := newPassword()
				t.secret(pw)
				z := t.api("signin password reset", http.MethodPost, api+"/signin/password/reset", map[string]any{"password": pw, "passwordConfirmation": pw, "uuid": uuid})
				t.shapeOK(z, "POST signin/password/reset", concat(wizardFrame, Schema{
					f("data", KObject|KNull),
					fOpt("data.client", KObject),
					fOpt("data.client.id", KInt),
					fOpt("data.client.email", KString),
					fOpt("data.client.settings", KObject|KArray|KNull),
				}))
			},
		},
		&Check{
			ID: "SHAPE-010", Title: "2FA challenge answers have a token and an expiry time", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Complete the initiated 2FA procedure") + "; " + src(docCT, "Undocumented calls (2fa/challenge)"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				mark, x, conf := t.startChallenge(a, s)
				t.shapeOK(x, "GET 2fa/challenge", Schema{f("token", KString), f("expiresAt", KTime)})
				if conf == "" {
					t.Errorf("setup: no confirmation token")
				}
				code := t.awaitCode(mark, "")
				y := t.completeChallenge(conf, code, s.access)
				if t.shapeOK(y, "POST 2fa/challenge", Schema{fOpt("token", KString), fOpt("successToken", KString), f("expiresAt", KTime)}) {
					t.Expect(successTokenOf(y) != "", y, "POST 2fa/challenge: neither token nor successToken holds the success token")
				}
				z := t.api("2fa unauthorized challenge start", http.MethodGet, api+"/2fa/unauthorized/challenge?email="+url.QueryEscape(a.Email), nil)
				t.shapeOK(z, "GET 2fa/unauthorized/challenge", Schema{f("token", KString), f("expiresAt", KTime)})
			},
		},
		&Check{
			ID: "SHAPE-011", Title: "2FA status answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Check 2FA status; Get 2FA method details"),
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.authProbe(s.access)
				t.shapeOK(x, "GET 2fa", concat(Schema{f("total", KInt), f("data", KArray)}, tfaStatus.Prefix("data[]")))
				for _, p := range providerEnum {
					y := t.api("2fa "+p+" status", http.MethodGet, api+"/2fa/"+p, nil, withBearer(s.access))
					t.shapeOK(y, "GET 2fa/"+p, tfaStatus)
				}
			},
		},
		&Check{
			ID: "SHAPE-012", Title: "Google 2FA enable and disable wizard answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Initialize a wizard for enabling/disabling 2FA; Enable 2FA with Google Authenticator; Disable 2FA"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				x := t.api("2fa google enable wizard", http.MethodGet, api+"/2fa/google/enable/wizard", nil, withBearer(s.access))
				t.shapeOK(x, "GET 2fa/google/enable/wizard", concat(wizardFrame, Schema{f("data", KObject), f("data.key", KString), fEnum("workflow", b2core.Workflow2FAGoogle)}))
				uuid, key := jstr(x.J(), "uuid"), jstr(x.J(), "data.key")
				seq, err := newTOTPSeq(key)
				if err != nil || uuid == "" {
					t.Errorf("setup: the enable wizard gave no usable uuid and key")
				}
				t.secret(key)
				a.TOTPSecret, a.totp = key, seq
				y := t.api("2fa wizard (enable google)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": uuid, "action": "code", "code": t.nextTOTP(a), "key": key}, withBearer(s.access))
				t.shapeOK(y, "POST 2fa/wizard (enable google)", concat(wizardFrame, Schema{f("data", KArray|KObject|KNull)}))
				z := t.api("2fa google disable wizard", http.MethodGet, api+"/2fa/google/disable/wizard", nil, withBearer(s.access))
				t.shapeOK(z, "GET 2fa/google/disable/wizard", concat(wizardFrame, Schema{fOpt("data", KArray|KObject|KNull)}))
				duuid := jstr(z.J(), "uuid")
				w := t.api("2fa wizard (disable google)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": duuid, "action": "code", "code": t.nextTOTP(a)}, withBearer(s.access))
				t.shapeOK(w, "POST 2fa/wizard (disable google)", concat(wizardFrame, Schema{f("data", KArray|KObject|KNull)}))
			},
		},
		&Check{
			ID: "SHAPE-013", Title: "SMS 2FA enable and disable wizard answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Enable 2FA with SMS (steps 1 and 2); Disable 2FA"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				x := t.api("2fa sms enable wizard", http.MethodGet, api+"/2fa/sms/enable/wizard", nil, withBearer(s.access))
				t.shapeOK(x, "GET 2fa/sms/enable/wizard", concat(wizardFrame, Schema{fOpt("data", KObject|KNull), fEnum("workflow", b2core.Workflow2FASMSPhoneCreate)}))
				uuid := jstr(x.J(), "uuid")
				phone := randPhone()
				mark := t.markCodes(phone)
				y := t.api("2fa wizard (phone)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": uuid, "phone": phone}, withBearer(s.access))
				t.shapeOK(y, "POST 2fa/wizard (phone)", concat(wizardFrame, Schema{
					f("data", KObject), f("data.expiredAt", KTime), f("data.sentAt", KTime), f("data.recipient", KObject),
					fOpt("data.status", KInt), fOpt("data.sent", KInt),
				}))
				code := t.awaitCode(mark, "")
				z := t.api("2fa wizard (confirm phone)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": uuid, "action": "code", "code": code}, withBearer(s.access))
				t.shapeOK(z, "POST 2fa/wizard (confirm phone)", concat(wizardFrame, Schema{f("data", KArray|KObject|KNull)}))
				a.Phone = phone
				mark = t.markCodes(phone)
				d := t.api("2fa sms disable wizard", http.MethodGet, api+"/2fa/sms/disable/wizard", nil, withBearer(s.access))
				t.shapeOK(d, "GET 2fa/sms/disable/wizard", concat(wizardFrame, Schema{fOpt("data", KArray|KObject|KNull)}))
				dcode := t.awaitCode(mark, "")
				w := t.api("2fa wizard (disable sms)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": jstr(d.J(), "uuid"), "action": "code", "code": dcode}, withBearer(s.access))
				t.shapeOK(w, "POST 2fa/wizard (disable sms)", concat(wizardFrame, Schema{f("data", KArray|KObject|KNull)}))
			},
		},
		&Check{
			ID: "SHAPE-014", Title: "2FA change history answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc001, "Get 2FA change history; Get 2FA change details"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				t.enableGoogle(a, s)
				t.shapeHistory(s, "2fa/changes", "2fa change", tfaChange, "2FA was enabled")
			},
		},
		&Check{
			ID: "SHAPE-015", Title: "Password change history answers have the documented fields", Group: GroupShapes, Level: MUST,
			Source: src(doc000, "Get a password change history; Get password change details"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				st := t.challenge(a, s)
				pw := newPassword()
				if x := t.changePassword(s.access, st, pw); !x.Is2xx() {
					t.Errorf("setup: password change failed: %s", x.StatusText())
				}
				a.Password = pw
				s = t.login(a) // a server may end the sessions of a changed password
				t.shapeHistory(s, "password/changes", "password change record", pwdChange, "a password change")
			},
		},
		&Check{
			ID: "SHAPE-016", Title: "Capillary validate and change answers have the documented status object", Group: GroupShapes, Level: MUST,
			Source: src(doc003, "Response parameters") + "; " + src(docCT, "Undocumented calls (mfa/password/validate)"), Profile: ProfileCapillary,
			Run: func(t *T) {
				a := t.newAccount()
				c := t.capFor(a)
				x := t.capValidate(c, a.Password)
				t.shapeOK(x, "POST "+capillary.PathValidate, concat(capStatus, Schema{f("token", KString)}))
				tok := jstr(x.J(), "token")
				pw := newPassword()
				y := t.capChange(c, tok, a.Password, pw, pw)
				t.shapeOK(y, "POST "+capillary.PathChange, capStatus)
				z := t.capValidate(c, "Wrong-"+randHex(4))
				t.Expect(z.Is4xx(), z, "validate with a wrong password: want a 4xx")
				t.shape(z, "POST "+capillary.PathValidate+" (rejected)", capStatus)
			},
		},
		&Check{
			ID: "SHAPE-017", Title: "Error answers are JSON with code, message and errors", Group: GroupShapes, Level: SHOULD,
			Source: src(docCT, "Errors"),
			Run: func(t *T) {
				a := t.newAccount()
				errSchema := Schema{f("code", KInt), f("message", KString), f("errors", KObject|KArray)}
				probes := []*X{
					t.signinFresh(a.Email, "Wrong-"+randHex(4)),
					t.signin(randUUID(), a.Email, a.Password),
					t.api("malformed json", http.MethodPost, api+"/refresh", `{"refreshToken": `),
					t.api("no bearer", http.MethodGet, api+"/2fa", nil),
				}
				for _, x := range probes {
					if !t.Expect(x.Is4xx(), x, "want a 4xx") {
						continue
					}
					if t.shape(x, x.Req.Method+" "+pathOnly(x.Req.Path)+" error", errSchema) {
						c, _ := jint(x.J(), "code")
						t.Expect(int(c) == x.Status(), x, "the error body's code %d differs from the HTTP status", c)
					}
				}
			},
		},
	)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// shapeHistory checks a history list (GET path) and its first record
// (GET path/{id}) against the record schema rec; after says what should have
// made a record, for the message when there is none.
func (t *T) shapeHistory(s *sess, path, step string, rec Schema, after string) {
	_, x := t.listHistory("/"+path, s, nil)
	t.shapeOK(x, "GET "+path, concat(Schema{f("total", KInt), f("data", KArray)}, rec.Prefix("data[]")))
	id, ok := jint(x.J(), "data[0].id")
	if !ok {
		t.FailNow("GET %s lists no record after %s", path, after)
	}
	y := t.api(step, http.MethodGet, api+"/"+path+"/"+itoa(id), nil, withBearer(s.access))
	t.shapeOK(y, "GET "+path+"/{id}", rec)
}
