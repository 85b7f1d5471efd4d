package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/authflow/authflow/b2core"
)

// guardStep waits, when needed, so that at least margin remains in the
// current TOTP step: a probe computed for "step s ± d" must reach the
// server while it is still in step s.
func (t *T) guardStep(margin time.Duration) {
	now := t.r.now()
	next := time.Unix((totpStepAt(now)+1)*int64(totpStep/time.Second), 0)
	if left := next.Sub(now); left < margin {
		t.sleep(left + 200*time.Millisecond)
	}
}

// probeTOTPOffset signs a fresh Google account in up to the code step and
// sends the code of the step d steps from now; it returns the answer. A
// probe whose answer is dated (Date header) in another step than the one
// it was computed for is inconclusive and made again with a fresh account;
// three inconclusive probes end the check as ERROR, never FAIL.
func probeTOTPOffset(t *T, d int64) *X {
	for try := 1; ; try++ {
		a := t.newAccount(b2core.ProviderGoogle)
		uuid, _ := t.to2FAStep(a, b2core.ProviderGoogle)
		t.guardStep(3 * time.Second)
		base := totpStepAt(t.r.now())
		a.totp.markUsed(base + d)
		code := totpCode(a.totp.key, base+d)
		t.secret(code)
		x := t.post2FACode(uuid, b2core.ProviderGoogle, code)
		at, err := http.ParseTime(x.Header("Date"))
		if err != nil || totpStepAt(at) == base {
			return x
		}
		if try == 3 {
			t.Errorf("three probes of %s were answered in another TOTP step than the one they were computed for (slow answers or a clock off by seconds): inconclusive", offsetName(d))
		}
		t.Note("a probe of %s straddled a TOTP step boundary and was made again", offsetName(d))
	}
}

// offsetName is "the previous step" or "3 steps ahead".
func offsetName(d int64) string {
	switch {
	case d == -1:
		return "the previous step"
	case d == 1:
		return "the next step"
	case d < 0:
		return fmt.Sprintf("%d steps back", -d)
	}
	return fmt.Sprintf("%d steps ahead", d)
}

func init() {
	const rfcTOTP = "RFC 6238 §5.2"
	register(
		&Check{
			ID: "TFA-001", Title: "The current Google Authenticator code is accepted", Group: Group2FA, Level: MUST,
			Source: src(doc001, "Use Google Authenticator to secure access") + "; " + src(docCT, "TOTP follows RFC 6238"),
			Refs:   []string{"RFC 6238"},
			Run: func(t *T) {
				x := probeTOTPOffset(t, 0)
				t.Expect(x.Is2xx() && tokensOf(x.J()) != nil, x, "the code of the current step is refused")
			},
		},
		&Check{
			ID: "TFA-002", Title: "A wrong Google Authenticator code is rejected", Group: Group2FA, Level: MUST,
			Source: src(doc001, "Use Google Authenticator to secure access"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle)
				uuid, _ := t.to2FAStep(a, b2core.ProviderGoogle)
				t.wantRejected(t.post2FACode(uuid, b2core.ProviderGoogle, wrongTOTP(a.totp.key, t.r.now())), "POST 2fa/google with a wrong code")
			},
		},
		&Check{
			ID: "TFA-003", Title: "An accepted Google Authenticator code cannot be replayed", Group: Group2FA, Level: MUST,
			Source: src(docCT, "TOTP … a code that was already accepted for that client is rejected"),
			Refs:   []string{"ASVS 5.0 6.5.1", rfcTOTP, "NIST SP 800-63B-3 §5.1.4.2"},
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle)
				uuid, _ := t.to2FAStep(a, b2core.ProviderGoogle)
				code := t.nextTOTP(a)
				x := t.post2FACode(uuid, b2core.ProviderGoogle, code)
				if !x.Is2xx() || tokensOf(x.J()) == nil {
					t.Errorf("setup: a fresh code was refused (%s); see TFA-001", x.StatusText())
				}
				uuid2, _ := t.to2FAStep(a, b2core.ProviderGoogle)
				t.wantRejected(t.post2FACode(uuid2, b2core.ProviderGoogle, code), "the same code, accepted a moment before, on a new sign-in")
			},
		},
		&Check{
			ID: "TFA-004", Title: "Codes of the previous and the next step are accepted", Group: Group2FA, Level: MUST,
			Source: src(docCT, "TOTP … the previous and the next step are accepted"),
			Refs:   []string{rfcTOTP},
			Run: func(t *T) {
				for _, d := range []int64{-1, 1} {
					x := probeTOTPOffset(t, d)
					t.Expect(x.Is2xx() && tokensOf(x.J()) != nil, x, "the code of %s is refused", offsetName(d))
				}
			},
		},
		&Check{
			ID: "TFA-005", Title: "Codes three steps away are rejected", Group: Group2FA, Level: MUST,
			Source: src(docCT, "TOTP … the previous and the next step are accepted"),
			Refs:   []string{rfcTOTP},
			Run: func(t *T) {
				for _, d := range []int64{-3, 3} {
					t.wantRejected(probeTOTPOffset(t, d), "the code of "+offsetName(d))
				}
			},
		},
		&Check{
			ID: "TFA-006", Title: "Codes two steps away are rejected", Group: Group2FA, Level: SHOULD,
			Source: src(docCT, "TOTP … the previous and the next step are accepted"),
			Refs:   []string{rfcTOTP},
			Run: func(t *T) {
				for _, d := range []int64{-2, 2} {
					t.wantRejected(probeTOTPOffset(t, d), "the code of "+offsetName(d))
				}
			},
		},
		&Check{
			ID: "TFA-007", Title: "The SMS code sent at sign-in is accepted", Group: Group2FA, Level: MUST,
			Source: src(doc001, "Use an SMS code to secure access"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderSMS)
				uuid, code := t.to2FAStep(a, b2core.ProviderSMS)
				x := t.post2FACode(uuid, b2core.ProviderSMS, code)
				t.Expect(x.Is2xx() && tokensOf(x.J()) != nil, x, "the SMS code just sent is refused")
			},
		},
		&Check{
			ID: "TFA-008", Title: "A wrong SMS code is rejected", Group: Group2FA, Level: MUST,
			Source: src(doc001, "Use an SMS code to secure access"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderSMS)
				uuid, code := t.to2FAStep(a, b2core.ProviderSMS)
				t.wantRejected(t.post2FACode(uuid, b2core.ProviderSMS, otherCode(code)), "POST 2fa/sms with a wrong code")
			},
		},
		&Check{
			ID: "TFA-009", Title: "A used SMS code cannot be used again", Group: Group2FA, Level: MUST,
			Source: src(docCT, "SMS and email codes … a code is single-use"),
			Refs:   []string{"ASVS 5.0 6.5.1"},
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderSMS)
				uuid, code := t.to2FAStep(a, b2core.ProviderSMS)
				x := t.post2FACode(uuid, b2core.ProviderSMS, code)
				if !x.Is2xx() || tokensOf(x.J()) == nil {
					t.Errorf("setup: the SMS code just sent was refused (%s); see TFA-007", x.StatusText())
				}
				t.wantRejected(t.post2FACode(uuid, b2core.ProviderSMS, code), "the used code again on its (finished) sign-in")
				uuid2, code2 := t.to2FAStep(a, b2core.ProviderSMS)
				if code2 == code {
					t.Skip("the server sent the same code again for the next sign-in; reuse cannot be told apart")
				}
				t.wantRejected(t.post2FACode(uuid2, b2core.ProviderSMS, code), "the used code on the next sign-in")
			},
		},
		&Check{
			ID: "TFA-010", Title: "An expired SMS code is rejected", Group: Group2FA, Level: MUST,
			Source: src(docCT, "SMS and email codes are 6 digits and live 10 minutes"),
			Run: func(t *T) {
				wait := t.r.cfg.Lifetimes.Code.D() + 2*time.Second
				t.needExpiryWait(wait, "waiting for an SMS code to expire (lifetimes.code "+t.r.cfg.Lifetimes.Code.String()+")")
				a := t.newAccount(b2core.ProviderSMS)
				uuid, code := t.to2FAStep(a, b2core.ProviderSMS)
				t.sleep(wait)
				t.wantRejected(t.post2FACode(uuid, b2core.ProviderSMS, code), "an SMS code older than lifetimes.code")
			},
		},
		&Check{
			ID: "TFA-011", Title: "A 2FA challenge yields a success token for the right email code only", Group: Group2FA, Level: MUST,
			Source: src(doc001, "Complete the initiated 2FA procedure") + "; " + src(docCT, "Undocumented calls (2fa/challenge)"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				mark, x, conf := t.startChallenge(a, s)
				if !t.Expect(x.Is2xx() && conf != "", x, "GET 2fa/challenge: want a 2xx with a confirmation token") {
					return
				}
				code := t.awaitCode(mark, "GET 2fa/challenge")
				w := t.completeChallenge(conf, otherCode(code), s.access)
				t.wantRejected(w, "POST 2fa/challenge with a wrong code")
				t.Expect(successTokenOf(w) == "", w, "a wrong code yielded a success token")
				y := t.completeChallenge(conf, code, s.access)
				t.Expect(y.Is2xx() && successTokenOf(y) != "", y, "POST 2fa/challenge with the code sent: want a 2xx with a success token")
			},
		},
		&Check{
			ID: "TFA-012", Title: "An email challenge code is single-use", Group: Group2FA, Level: MUST,
			Source: src(docCT, "SMS and email codes … a code is single-use"),
			Refs:   []string{"ASVS 5.0 6.5.1"},
			Run: func(t *T) {
				a := t.newAccount()
				mark, x, conf := t.startChallenge(a, nil)
				if !x.Is2xx() || conf == "" {
					t.Errorf("setup: GET 2fa/unauthorized/challenge failed: %s", x.StatusText())
				}
				code := t.awaitCode(mark, "GET 2fa/unauthorized/challenge")
				y := t.completeChallenge(conf, code, "")
				if !y.Is2xx() || successTokenOf(y) == "" {
					t.Errorf("setup: POST 2fa/challenge with the code sent failed: %s", y.StatusText())
				}
				z := t.completeChallenge(conf, code, "")
				t.wantRejected(z, "POST 2fa/challenge again with the used confirmation token and code")
				t.Expect(successTokenOf(z) == "", z, "the used code yielded a second success token")
			},
		},
		&Check{
			ID: "TFA-013", Title: "The unauthorized challenge answers an unknown email like a known one", Group: Group2FA, Level: MUST,
			Source: src(docCT, "Undocumented calls (the unauthorized one answers the same way for an unknown email)"),
			Run: func(t *T) {
				a := t.newAccount()
				x := t.api("2fa unauthorized challenge (known)", http.MethodGet, api+"/2fa/unauthorized/challenge?email="+url.QueryEscape(a.Email), nil)
				y := t.api("2fa unauthorized challenge (unknown)", http.MethodGet, api+"/2fa/unauthorized/challenge?email="+url.QueryEscape(unknownEmail()), nil)
				if !t.Expect(x.Is2xx(), x, "GET 2fa/unauthorized/challenge for a known email: want a 2xx") {
					return
				}
				t.Expect(y.Status() == x.Status(), y, "an unknown email answers HTTP %d, a known one HTTP %d", y.Status(), x.Status())
				t.sameShape(x, y, "known vs unknown email")
			},
		},
	)
}

// otherCode returns a 6-digit code different from code.
func otherCode(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+500_001)%1_000_000)
}

// sameShape checks that two answers have the same JSON shape.
func (t *T) sameShape(x, y *X, what string) bool {
	xv, xerr := x.JSON()
	yv, yerr := y.JSON()
	if (xerr == nil) != (yerr == nil) {
		return t.Expect(false, y, "%s: one answer is JSON and the other is not", what)
	}
	if xerr != nil {
		return true
	}
	xs, ys := jshape(xv), jshape(yv)
	ok := true
	for k, kx := range xs {
		if ky, has := ys[k]; !has {
			ok = t.Expect(false, y, "%s: field %q is in one answer only", what, shapeName(k))
		} else if ky != kx {
			ok = t.Expect(false, y, "%s: field %q is %s in one answer and %s in the other", what, shapeName(k), kx, ky)
		}
	}
	for k := range ys {
		if _, has := xs[k]; !has {
			ok = t.Expect(false, y, "%s: field %q is in one answer only", what, shapeName(k))
		}
	}
	return ok
}

func shapeName(k string) string {
	if k == "" {
		return "(root)"
	}
	return k
}
