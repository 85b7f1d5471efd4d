package conformance

import (
	"net/http"
	"time"
)

// qrChannel opens a QR sign-in channel (setup) and returns its id.
func (t *T) qrChannel() (string, *X) {
	x := t.api("qr channel", http.MethodGet, api+"/signin/qrcodes", nil)
	id := jstr(x.J(), "id")
	if !x.Is2xx() || id == "" {
		t.Errorf("setup: GET signin/qrcodes failed (%s); see QR-001", x.StatusText())
	}
	return id, x
}

func (t *T) qrAuthorize(access, channel string) *X {
	var opts []callOpt
	if access != "" {
		opts = append(opts, withBearer(access))
	}
	return t.api("qr authorize", http.MethodPost, api+"/signin/tokens", map[string]any{"channelId": channel}, opts...)
}

func (t *T) qrSignIn(authToken string) *X {
	t.secret(authToken)
	return t.api("qr sign-in", http.MethodPost, api+"/signin/qrcodes", map[string]any{"deviceFingerprint": t.r.fingerprint(), "authorizationToken": authToken})
}

// qrAuthorized opens a channel and authorizes it with a signed-in session
// (setup), returning the authorization token.
func (t *T) qrAuthorized(s *sess) string {
	ch, _ := t.qrChannel()
	x := t.qrAuthorize(s.access, ch)
	at := jstr(x.J(), "authorizationToken")
	if !x.Is2xx() || at == "" {
		t.Errorf("setup: POST signin/tokens failed (%s); see QR-002", x.StatusText())
	}
	t.secret(at)
	return at
}

func init() {
	qrSrc := src(doc002, "Get a QR code sign-in channel; Sign in using a QR code") + "; " + src(docCT, "Undocumented calls (signin/tokens)")
	register(
		&Check{
			ID: "QR-001", Title: "A QR sign-in channel has an id and a positive lifetimeMinutes", Group: GroupQR, Level: MUST,
			Source: src(doc002, "Get a QR code sign-in channel"),
			Run: func(t *T) {
				x := t.api("qr channel", http.MethodGet, api+"/signin/qrcodes", nil)
				if !t.Expect(x.Is2xx(), x, "GET signin/qrcodes: want a 2xx") {
					return
				}
				t.Expect(jstr(x.J(), "id") != "", x, "the channel has no id")
				n, ok := jint(x.J(), "lifetimeMinutes")
				t.Expect(ok && n > 0, x, "lifetimeMinutes: want a positive integer, got %s", jraw(x.J(), "lifetimeMinutes"))
				y := t.api("qr channel", http.MethodGet, api+"/signin/qrcodes", nil)
				t.Expect(jstr(y.J(), "id") != jstr(x.J(), "id"), y, "two channels got the same id")
			},
		},
		&Check{
			ID: "QR-002", Title: "A channel authorized by a signed-in session signs the same client in with working tokens", Group: GroupQR, Level: MUST,
			Source: qrSrc,
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				ch, _ := t.qrChannel()
				x := t.qrAuthorize(s.access, ch)
				at := jstr(x.J(), "authorizationToken")
				if !t.Expect(x.Is2xx() && at != "", x, "POST signin/tokens with a signed-in session: want a 2xx with an authorizationToken") {
					return
				}
				y := t.qrSignIn(at)
				if !t.Expect(y.Is2xx(), y, "POST signin/qrcodes with the authorization token: want a 2xx") {
					return
				}
				id, _ := jint(y.J(), "clientId")
				t.Expect(id == a.ID, y, "clientId %s, want the authorizing client %d", jraw(y.J(), "clientId"), a.ID)
				n := t.wantTokens(y, "POST signin/qrcodes")
				if n != nil {
					t.Expect(n.access != s.access && n.refresh != s.refresh, y, "the QR sign-in handed out the mobile session's own tokens")
				}
			},
		},
		&Check{
			ID: "QR-003", Title: "An authorization token signs in once only", Group: GroupQR, Level: MUST,
			Source: src(docCT, "Undocumented calls (the channel and the token are single-use)"), Refs: []string{"ASVS 5.0 6.5.1"},
			Run: func(t *T) {
				s := t.login(t.newAccount())
				at := t.qrAuthorized(s)
				x := t.qrSignIn(at)
				if !x.Is2xx() || tokensOf(x.J()) == nil {
					t.Errorf("setup: the QR sign-in failed (%s); see QR-002", x.StatusText())
				}
				t.wantRejected(t.qrSignIn(at), "POST signin/qrcodes again with the used authorization token")
			},
		},
		&Check{
			ID: "QR-004", Title: "A channel can be authorized once only", Group: GroupQR, Level: MUST,
			Source: src(docCT, "Undocumented calls (the channel and the token are single-use)"),
			Run: func(t *T) {
				a, b := t.newAccount(), t.newAccount()
				sa, sb := t.login(a), t.login(b)
				ch, _ := t.qrChannel()
				x := t.qrAuthorize(sa.access, ch)
				if !x.Is2xx() {
					t.Errorf("setup: POST signin/tokens failed (%s); see QR-002", x.StatusText())
				}
				y := t.qrAuthorize(sb.access, ch)
				t.Expect(y.Is4xx(), y, "POST signin/tokens for an already authorized channel (another client): want a 4xx")
				t.Expect(jstr(y.J(), "authorizationToken") == "", y, "the second authorization handed out a token")
			},
		},
		&Check{
			ID: "QR-005", Title: "Authorizing a channel needs a valid Bearer token", Group: GroupQR, Level: MUST,
			Source: src(docCT, "Undocumented calls (Bearer: a signed-in mobile session); Errors"),
			Run: func(t *T) {
				ch, _ := t.qrChannel()
				x := t.qrAuthorize("", ch)
				t.Expect(x.Status() == http.StatusUnauthorized, x, "POST signin/tokens without Authorization: want 401")
				y := t.qrAuthorize("not-a-token-"+randHex(4), ch)
				t.Expect(y.Status() == http.StatusUnauthorized, y, "POST signin/tokens with a garbage Bearer token: want 401")
			},
		},
		&Check{
			ID: "QR-006", Title: "Unknown channels and authorization tokens are rejected", Group: GroupQR, Level: MUST,
			Source: qrSrc,
			Run: func(t *T) {
				s := t.login(t.newAccount())
				x := t.qrAuthorize(s.access, randUUID())
				t.Expect(x.Is4xx() && jstr(x.J(), "authorizationToken") == "", x, "POST signin/tokens for an unknown channel: want a 4xx")
				t.wantRejected(t.qrSignIn("unknown-"+randHex(16)), "POST signin/qrcodes with an unknown authorization token")
			},
		},
		&Check{
			ID: "QR-007", Title: "An expired channel cannot be authorized", Group: GroupQR, Level: MUST,
			Source: src(doc002, "Get a QR code sign-in channel (lifetimeMinutes)") + "; " + src(docCT, "Undocumented calls (die with the channel's lifetimeMinutes)"),
			Run: func(t *T) {
				ch, x := t.qrChannel()
				n, ok := jint(x.J(), "lifetimeMinutes")
				if !ok || n < 0 {
					t.Skip("the channel's lifetimeMinutes is not an integer (see QR-001)")
				}
				wait := time.Duration(n)*time.Minute + 2*time.Second
				t.needExpiryWait(wait, "waiting for a QR channel to expire")
				a := t.newAccount()
				t.sleep(wait)
				s := t.login(a)
				y := t.qrAuthorize(s.access, ch)
				t.Expect(y.Is4xx() && jstr(y.J(), "authorizationToken") == "", y, "POST signin/tokens for a channel past its lifetimeMinutes: want a 4xx")
			},
		},
	)
}
