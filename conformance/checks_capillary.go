package conformance

import (
	"net/http"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// capIdent is who a Capillary call is about, and from which device.
type capIdent struct {
	idType, idValue, deviceID, brand string
	acct                             *account
}

// capFor returns the Capillary identity of an account: its email, or its
// phone with identifierType MOBILE.
func (t *T) capFor(a *account) capIdent {
	c := capIdent{idType: t.r.cfg.Capillary.IdentifierType, idValue: a.Email, deviceID: "conformance-" + randHex(6), brand: t.r.cfg.Capillary.Brand, acct: a}
	if c.idType == capillary.IdentifierMobile {
		if a.Phone == "" {
			t.Errorf("setup: identifierType MOBILE needs an account with a phone")
		}
		c.idValue = a.Phone
	}
	return c
}

// capAccount makes a fresh account usable with the configured identifier
// type (MOBILE needs a phone: an SMS 2FA account has one).
func (t *T) capAccount() (*account, capIdent) {
	var a *account
	if t.r.cfg.Capillary.IdentifierType == capillary.IdentifierMobile {
		a = t.newAccount(b2core.ProviderSMS)
	} else {
		a = t.newAccount()
	}
	return a, t.capFor(a)
}

func (t *T) capValidate(c capIdent, pw string) *X {
	t.secret(pw)
	x := t.api("capillary validate", http.MethodPost, capillary.PathValidate, map[string]any{
		"identifierType": c.idType, "identifierValue": c.idValue, "deviceId": c.deviceID, "brand": c.brand, "password": pw,
	})
	t.secret(jstr(x.J(), "token"))
	return x
}

func (t *T) capChange(c capIdent, token, pw, newPw, confirm string) *X {
	t.secret(token, pw, newPw, confirm)
	return t.api("capillary change", http.MethodPost, capillary.PathChange, map[string]any{
		"deviceId": c.deviceID, "password": pw, "newPassword": newPw, "confirmPassword": confirm,
		"brand": c.brand, "token": token, "identifierType": c.idType, "identifierValue": c.idValue,
	})
}

// capToken validates and returns the MFA token (setup).
func (t *T) capToken(c capIdent, pw string) string {
	x := t.capValidate(c, pw)
	tok := jstr(x.J(), "token")
	if !x.Is2xx() || tok == "" {
		t.Errorf("setup: %s failed (%s); see CAP-001", capillary.PathValidate, x.StatusText())
	}
	return tok
}

// capSucceeded checks a successful Capillary answer.
func (t *T) capSucceeded(x *X, what string) bool {
	ok, _ := jbool(x.J(), "status.success")
	return t.Expect(x.Is2xx() && ok, x, "%s: want a 2xx with status.success true", what)
}

// capRejected checks a Capillary rejection: a 4xx with status.success false.
func (t *T) capRejected(x *X, what string) bool {
	ok := t.Expect(x.Is4xx(), x, "%s: want a 4xx", what)
	succ, has := jbool(x.J(), "status.success")
	return t.Expect(has && !succ, x, "%s: want status.success false, got %s", what, jraw(x.J(), "status.success")) && ok
}

// capPasswordIs checks which password validates.
func (t *T) capPasswordIs(c capIdent, pw, other, what string) {
	x := t.capValidate(c, pw)
	t.capSucceeded(x, what+": validate with the password in force")
	if other != "" && other != pw {
		y := t.capValidate(c, other)
		t.Expect(!y.Is2xx(), y, "%s: the password that should not be in force validates", what)
	}
}

func init() {
	capSrc := src(doc003, "post /auth/v1/mfa/password/change") + "; " + src(docCT, "Undocumented calls (mfa/password/validate)")
	register(
		&Check{
			ID: "CAP-001", Title: "validate → change replaces the password", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: capSrc,
			Run: func(t *T) {
				a, c := t.capAccount()
				x := t.capValidate(c, a.Password)
				tok := jstr(x.J(), "token")
				if !t.capSucceeded(x, "validate with the right password") || !t.Expect(tok != "", x, "validate: want a token") {
					return
				}
				pw := newPassword()
				y := t.capChange(c, tok, a.Password, pw, pw)
				if !t.capSucceeded(y, "change with the token") {
					return
				}
				t.capPasswordIs(c, pw, a.Password, "after the change")
			},
		},
		&Check{
			ID: "CAP-002", Title: "A mismatched confirmation is rejected and changes nothing", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: src(doc003, "Request body parameters (confirmPassword)"),
			Run: func(t *T) {
				a, c := t.capAccount()
				tok := t.capToken(c, a.Password)
				pw1, pw2 := newPassword(), newPassword()
				t.capRejected(t.capChange(c, tok, a.Password, pw1, pw2), "change with confirmPassword ≠ newPassword")
				t.capPasswordIs(c, a.Password, pw1, "after the refused change")
			},
		},
		&Check{
			ID: "CAP-003", Title: "A wrong current password at change is rejected and changes nothing", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: src(doc003, "Request body parameters (password: current password)"),
			Run: func(t *T) {
				a, c := t.capAccount()
				tok := t.capToken(c, a.Password)
				pw := newPassword()
				t.capRejected(t.capChange(c, tok, "Wrong-"+randHex(6), pw, pw), "change with a wrong current password")
				t.capPasswordIs(c, a.Password, pw, "after the refused change")
			},
		},
		&Check{
			ID: "CAP-004", Title: "A Capillary MFA token changes the password once only", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: src(docCT, "Undocumented calls (the token is … single-use)"), Refs: []string{"ASVS 5.0 6.5.1"},
			Run: func(t *T) {
				a, c := t.capAccount()
				tok := t.capToken(c, a.Password)
				pw1, pw2 := newPassword(), newPassword()
				if x := t.capChange(c, tok, a.Password, pw1, pw1); !x.Is2xx() {
					t.Errorf("setup: the first change failed (%s); see CAP-001", x.StatusText())
				}
				t.capRejected(t.capChange(c, tok, pw1, pw2, pw2), "change again with the used token")
				t.capPasswordIs(c, pw1, pw2, "after the refused reuse")
			},
		},
		&Check{
			ID: "CAP-005", Title: "A token of another identifier is rejected", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: src(docCT, "Undocumented calls (the token is bound to the identifier and the deviceId)"),
			Run: func(t *T) {
				a, ca := t.capAccount()
				b, cb := t.capAccount()
				tok := t.capToken(ca, a.Password)
				cb.deviceID = ca.deviceID
				pw := newPassword()
				t.capRejected(t.capChange(cb, tok, b.Password, pw, pw), "client B's change with client A's token")
				t.capPasswordIs(cb, b.Password, pw, "client B after the refused change")
			},
		},
		&Check{
			ID: "CAP-006", Title: "A token used from another deviceId is rejected", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: src(doc003, "Request body parameters (deviceId: the same device used to generate the MFA token)"),
			Run: func(t *T) {
				a, c := t.capAccount()
				tok := t.capToken(c, a.Password)
				other := c
				other.deviceID = "conformance-other-" + randHex(6)
				pw := newPassword()
				t.capRejected(t.capChange(other, tok, a.Password, pw, pw), "change from another deviceId")
				t.capPasswordIs(c, a.Password, pw, "after the refused change")
			},
		},
		&Check{
			ID: "CAP-007", Title: "validate with a wrong password is rejected without a token", Group: GroupCapillary, Level: MUST, Profile: ProfileCapillary,
			Source: capSrc,
			Run: func(t *T) {
				_, c := t.capAccount()
				x := t.capValidate(c, "Wrong-"+randHex(6))
				t.capRejected(x, "validate with a wrong password")
				t.Expect(jstr(x.J(), "token") == "", x, "the rejected validate handed out a token")
			},
		},
	)
}
