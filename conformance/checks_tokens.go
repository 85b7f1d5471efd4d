package conformance

import (
	"net/http"
	"time"

	"github.com/authflow/authflow/b2core"
)

// refreshes refreshes n times in a row from s, each wanted to succeed, and
// returns the last session and when the last refresh was sent.
func (t *T) refreshes(s *sess, n int) (*sess, time.Time, bool) {
	cur := s
	var last time.Time
	for i := 1; i <= n; i++ {
		last = time.Now()
		x := t.refresh(cur.refresh)
		next := tokensOf(x.J())
		if !t.Expect(x.Is2xx() && next != nil && next.refresh != "", x, "refresh %d of %d within the limit: want a 2xx with a new token pair", i, n) {
			return cur, last, false
		}
		t.secret(next.access, next.refresh)
		cur = next
	}
	return cur, last, true
}

// rateLimited reaches the refresh limit for a fresh account and returns
// the answer to the (attempts+1)-th refresh and the last good session.
func rateLimited(t *T, requireLimit bool) (*account, *sess, *X, Limit) {
	a, cur, x, l, _ := rateLimitedAt(t, requireLimit)
	return a, cur, x, l
}

// rateLimitedAt is rateLimited that also says when the limited refresh was
// sent (its block began between then and its answer).
func rateLimitedAt(t *T, requireLimit bool) (*account, *sess, *X, Limit, time.Time) {
	l := t.refreshLimit()
	a := t.newAccount()
	s := t.login(a)
	start := time.Now()
	cur, _, ok := t.refreshes(s, l.Attempts)
	if !ok {
		t.FailNow("the refresh limit could not be reached")
	}
	if el := time.Since(start); el >= time.Duration(l.WindowSeconds)*time.Second {
		t.Errorf("the %d refreshes took %s, longer than the %d s window", l.Attempts, el.Round(time.Millisecond), l.WindowSeconds)
	}
	sent := time.Now()
	x := t.refresh(cur.refresh)
	if el := time.Since(start); x.Status() != t.r.cfg.LockoutStatus && el >= time.Duration(l.WindowSeconds)*time.Second {
		t.Errorf("refresh %d came %s after the first, beyond the %d s window: too slow to tell whether the limit holds", l.Attempts+1, el.Round(time.Millisecond), l.WindowSeconds)
	}
	if requireLimit && x.Status() != t.r.cfg.LockoutStatus {
		t.Skip("precondition not met: refresh %d within the window was not limited (got %s; see TOKEN-003)", l.Attempts+1, x.StatusText())
	}
	return a, cur, x, l, sent
}

// tamper changes one character in the middle of a token.
func tamper(tok string) string {
	if tok == "" {
		return "x"
	}
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func init() {
	refreshSrc := src(doc002, "Refresh the access token") + "; " + src(docCT, "Sign-in and lockout (token refresh)")
	signoutSrc := src(doc002, "Sign out of the B2Core UI") + "; " + src(docCT, "Sign-in and lockout (sign-out revokes)")
	register(
		&Check{
			ID: "TOKEN-001", Title: "A refresh gives a new working token pair", Group: GroupTokens, Level: MUST,
			Source: refreshSrc,
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.refresh(s.refresh)
				if !t.Expect(x.Is2xx(), x, "POST refresh with a fresh refresh token: want a 2xx") {
					return
				}
				t.wantTokens(x, "POST refresh")
			},
		},
		&Check{
			ID: "TOKEN-002", Title: "A refresh rotates the refresh token: the old one is rejected", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "A refresh rotates both tokens: the refresh token used is dead afterwards"),
			Refs:   []string{"ASVS 5.0 10.4.5"},
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.refresh(s.refresh)
				n := tokensOf(x.J())
				if !x.Is2xx() || n == nil {
					t.Errorf("setup: the first refresh failed (%s); see TOKEN-001", x.StatusText())
				}
				t.Expect(n.refresh != s.refresh, x, "the refresh answered the same refresh token it was given")
				t.wantRejected(t.refresh(s.refresh), "POST refresh with the refresh token already used")
			},
		},
		&Check{
			ID: "TOKEN-003", Title: "Refreshes beyond `attempts` within the window get 429", Group: GroupTokens, Level: MUST,
			Source: refreshSrc, Refs: []string{refRate, refRFC6585}, Phase: PhaseLockout,
			Run: func(t *T) {
				_, _, x, l := rateLimited(t, false)
				t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "refresh %d within %d s: want %d", l.Attempts+1, l.WindowSeconds, t.r.cfg.LockoutStatus)
				t.Expect(tokensOf(x.J()) == nil, x, "the limited refresh handed out tokens")
			},
		},
		&Check{
			ID: "TOKEN-004", Title: "A rate-limited refresh carries a valid Retry-After", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (then 429 with Retry-After)"), Refs: []string{refRFC6585}, Phase: PhaseLockout,
			Run: func(t *T) {
				_, _, x, _ := rateLimited(t, true)
				t.wantRetryAfter(x, "rate-limited refresh")
			},
		},
		&Check{
			ID: "TOKEN-005", Title: "The refresh limit lifts after `block` seconds", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (429 … for block)"), Phase: PhaseLockout,
			Run: func(t *T) {
				l := t.refreshLimit()
				wait := time.Duration(l.BlockSeconds)*time.Second + time.Second
				if wait > t.r.cfg.Waits.Block.D() {
					t.skipAs(SkipWaits, "the refresh block is %d s and waits.block allows %s", l.BlockSeconds, t.r.cfg.Waits.Block)
				}
				a, cur, _, _ := rateLimited(t, true)
				t.sleep(wait)
				x := t.refresh(cur.refresh)
				if x.Is2xx() && tokensOf(x.J()) != nil {
					return
				}
				if x.Status() != t.r.cfg.LockoutStatus {
					// The limited refresh may have used the token up; try a new session of the same client.
					s := t.login(a)
					y := t.refresh(s.refresh)
					if t.Expect(y.Is2xx() && tokensOf(y.J()) != nil, y, "a refresh %s after the limit began is still refused", wait) {
						t.Note("the refresh token refused with %d was dead afterwards (%s)", t.r.cfg.LockoutStatus, x.StatusText())
					}
					return
				}
				t.Expect(false, x, "a refresh %s after the limit began (block %d s) is still limited", wait, l.BlockSeconds)
			},
		},
		&Check{
			ID: "TOKEN-006", Title: "After sign-out the access token gets 401", Group: GroupTokens, Level: MUST,
			Source: signoutSrc, Refs: []string{"ASVS 5.0 7.4.1"},
			Run: func(t *T) {
				s := t.login(t.newAccount())
				if p := t.authProbe(s.access); p.Status() != http.StatusOK {
					t.Errorf("setup: the fresh access token is not accepted (%s)", p.StatusText())
				}
				x := t.api("signout", http.MethodPost, api+"/signout", nil, withBearer(s.access))
				t.Expect(x.Status() == http.StatusOK || x.Status() == http.StatusNoContent, x, "POST signout: want 200")
				y := t.authProbe(s.access)
				t.Expect(y.Status() == http.StatusUnauthorized, y, "the access token after sign-out: want 401")
				z := t.api("signout again", http.MethodPost, api+"/signout", nil, withBearer(s.access))
				t.Expect(z.Status() == http.StatusUnauthorized, z, "POST signout with the revoked token: want 401")
			},
		},
		&Check{
			ID: "TOKEN-007", Title: "After sign-out the refresh token is rejected", Group: GroupTokens, Level: MUST,
			Source: signoutSrc, Refs: []string{"ASVS 5.0 7.4.1"},
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.api("signout", http.MethodPost, api+"/signout", nil, withBearer(s.access))
				if !x.Is2xx() {
					t.Errorf("setup: POST signout failed (%s); see TOKEN-006", x.StatusText())
				}
				t.wantRejected(t.refresh(s.refresh), "POST refresh with the refresh token of a signed-out session")
			},
		},
		&Check{
			ID: "TOKEN-008", Title: "Calls that need a Bearer token answer 401 without one", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Errors (a missing … Bearer token gets 401)") + "; " + src(doc002, "Sign out of the B2Core UI"),
			Run: func(t *T) {
				for _, c := range bearerCalls() {
					x := t.api("no bearer", c.method, api+c.path, c.body)
					t.Expect(x.Status() == http.StatusUnauthorized, x, "%s %s without Authorization: want 401", c.method, c.path)
				}
			},
		},
		&Check{
			ID: "TOKEN-009", Title: "Malformed, tampered and foreign-scheme Bearer tokens get 401", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Errors (a … malformed … Bearer token gets 401)"),
			Run: func(t *T) {
				s := t.login(t.newAccount())
				values := []struct{ name, v string }{
					{"scheme only", "Bearer"},
					{"empty token", "Bearer "},
					{"garbage token", "Bearer not-a-token-" + randHex(4)},
					{"tampered token", "Bearer " + tamper(s.access)},
					{"no scheme", s.access},
					{"Basic scheme", "Basic dXNlcjpwYXNzd29yZA=="},
				}
				for _, v := range values {
					for _, c := range []bearerCall{{http.MethodGet, "/2fa", nil}, {http.MethodPost, "/signout", nil}} {
						x := t.api("bearer: "+v.name, c.method, api+c.path, c.body, withHeader("Authorization", v.v))
						t.Expect(x.Status() == http.StatusUnauthorized, x, "%s %s with a %s: want 401", c.method, c.path, v.name)
					}
				}
				p := t.authProbe(s.access)
				t.Expect(p.Status() == http.StatusOK, p, "the untouched access token stopped working")
			},
		},
		&Check{
			ID: "TOKEN-010", Title: "An expired access token gets 401", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Errors (an expired … Bearer token gets 401)") + "; " + src(doc002, "Sign out of the B2Core UI"),
			Run: func(t *T) {
				a := t.newAccount()
				x := t.signinFresh(a.Email, a.Password)
				s := tokensOf(x.J())
				if s == nil {
					t.Errorf("setup: sign-in failed (%s)", x.StatusText())
				}
				t.secret(s.access, s.refresh)
				exp, err := b2core.ParseTime(s.accessExpires)
				if err != nil {
					t.Skip("the access token's expiresAt %q is not a time (see SHAPE-002)", s.accessExpires)
				}
				wait := exp.Sub(t.r.now()) + 2*time.Second
				t.needExpiryWait(wait, "waiting for the access token to expire (expiresAt "+s.accessExpires+")")
				if p := t.authProbe(s.access); p.Status() != http.StatusOK {
					t.Errorf("setup: the fresh access token is not accepted (%s)", p.StatusText())
				}
				t.sleep(wait)
				y := t.authProbe(s.access)
				t.Expect(y.Status() == http.StatusUnauthorized, y, "the access token after its expiresAt: want 401")
			},
		},
	)
}

type bearerCall struct {
	method, path string
	body         any
}

// bearerCalls are the calls that need an access token.
func bearerCalls() []bearerCall {
	return []bearerCall{
		{http.MethodPost, "/signout", nil},
		{http.MethodGet, "/2fa", nil},
		{http.MethodGet, "/2fa/google", nil},
		{http.MethodGet, "/2fa/sms/enable/wizard", nil},
		{http.MethodGet, "/2fa/google/disable/wizard", nil},
		{http.MethodPost, "/2fa/wizard", map[string]any{"uuid": randUUID(), "action": "code", "code": "123456"}},
		{http.MethodGet, "/2fa/changes", nil},
		{http.MethodGet, "/2fa/changes/1", nil},
		{http.MethodGet, "/2fa/challenge", nil},
		{http.MethodPost, "/password/change", map[string]any{"password": newPassword()}},
		{http.MethodGet, "/password/changes", nil},
		{http.MethodGet, "/password/changes/1", nil},
		{http.MethodPost, "/signin/tokens", map[string]any{"channelId": randUUID()}},
	}
}
