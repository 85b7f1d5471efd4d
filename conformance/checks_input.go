package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authflow/authflow/capillary"
)

// Bad input: malformed JSON, missing and mistyped fields, oversized bodies
// and unknown path parameters get a 4xx on every call, never a 5xx, never
// a stack trace, never an echo of a secret (CONTRACT.md "Errors").

// inputTarget is a call with a valid body to spoil.
type inputTarget struct {
	name     string
	path     string
	body     map[string]any
	required []string
	opts     []callOpt
}

// inputTargets provisions what the bodies need (an account, a session, a
// wizard, a QR channel, a confirmation and a success token, a Capillary
// token) and lists every documented POST call with a body. secret values
// are distinctive, so that an echo is found.
func (t *T) inputTargets(echo string) []inputTarget {
	a := t.newAccount()
	s := t.login(a)
	uuid := t.wizard()
	ch, _ := t.qrChannel()
	bearer := withBearer(s.access)
	pw := "Echo-" + echo + "-Pw1!"
	code := "9" + echo[:5]
	tok := "echo-token-" + echo
	fp := t.r.fingerprint()
	t.secret(pw, code, tok)
	ts := []inputTarget{
		{"signin", api + "/signin", map[string]any{"uuid": uuid, "email": a.Email, "password": pw, "device_fingerprint": fp}, []string{"uuid", "email", "password", "device_fingerprint"}, nil},
		{"refresh", api + "/refresh", map[string]any{"refreshToken": tok}, []string{"refreshToken"}, nil},
		{"signin/2fa", api + "/signin/2fa", map[string]any{"uuid": uuid, "type": "google"}, []string{"uuid", "type"}, nil},
		{"2fa/google", api + "/2fa/google", map[string]any{"uuid": uuid, "code": code}, []string{"uuid", "code"}, nil},
		{"2fa/sms", api + "/2fa/sms", map[string]any{"uuid": uuid, "code": code}, []string{"uuid", "code"}, nil},
		{"signin/password/restore", api + "/signin/password/restore", map[string]any{"uuid": uuid, "action": "code", "code": code}, []string{"uuid", "action", "code"}, nil},
		{"signin/password/reset", api + "/signin/password/reset", map[string]any{"password": pw, "passwordConfirmation": pw, "uuid": uuid}, []string{"password", "passwordConfirmation", "uuid"}, nil},
		{"signin/qrcodes", api + "/signin/qrcodes", map[string]any{"deviceFingerprint": fp, "authorizationToken": tok}, []string{"deviceFingerprint", "authorizationToken"}, nil},
		{"signin/tokens", api + "/signin/tokens", map[string]any{"channelId": ch}, []string{"channelId"}, []callOpt{bearer}},
		{"2fa/challenge", api + "/2fa/challenge", map[string]any{"token": tok, "code": code}, []string{"token", "code"}, []callOpt{bearer}},
		{"2fa/wizard", api + "/2fa/wizard", map[string]any{"uuid": randUUID(), "action": "code", "code": code}, []string{"uuid", "action", "code"}, []callOpt{bearer}},
		{"password/change", api + "/password/change", map[string]any{"password": pw}, []string{"password"}, []callOpt{bearer, withHeader("successToken", tok)}},
		{"password/restore", api + "/password/restore", map[string]any{"password": pw}, []string{"password"}, []callOpt{withHeader("successToken", tok)}},
	}
	if t.r.cfg.HasProfile(ProfileCapillary) {
		c := t.capFor(a)
		ts = append(ts,
			inputTarget{"capillary validate", capillary.PathValidate, map[string]any{"identifierType": c.idType, "identifierValue": c.idValue, "deviceId": c.deviceID, "brand": c.brand, "password": pw},
				[]string{"identifierType", "identifierValue", "deviceId", "brand", "password"}, nil},
			inputTarget{"capillary change", capillary.PathChange, map[string]any{"deviceId": c.deviceID, "password": pw, "newPassword": pw + "2", "confirmPassword": pw + "2", "brand": c.brand, "token": tok, "identifierType": c.idType, "identifierValue": c.idValue},
				[]string{"deviceId", "password", "newPassword", "confirmPassword", "brand", "token", "identifierType", "identifierValue"}, nil},
		)
	}
	return ts
}

// inputProbe is one spoiled request.
type inputProbe struct {
	target inputTarget
	kind   string // malformed, missing, mistyped, oversized
	what   string
	body   []byte
}

func without(m map[string]any, k string) map[string]any {
	out := make(map[string]any, len(m))
	for kk, v := range m {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}

func with(m map[string]any, k string, v any) map[string]any {
	out := without(m, k)
	out[k] = v
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// probes spoils every target in the ways kinds name.
func inputProbes(ts []inputTarget, kinds ...string) []inputProbe {
	var out []inputProbe
	for _, tg := range ts {
		valid := mustJSON(tg.body)
		for _, k := range kinds {
			switch k {
			case "malformed":
				out = append(out,
					inputProbe{tg, k, "truncated JSON", valid[:len(valid)/2]},
					inputProbe{tg, k, "JSON with a trailing comma", append(valid[:len(valid)-1:len(valid)-1], []byte(`,}`)...)},
					inputProbe{tg, k, "not JSON", []byte("this is not json")},
				)
			case "missing":
				out = append(out, inputProbe{tg, k, "empty object", []byte("{}")})
				for _, f := range tg.required {
					out = append(out, inputProbe{tg, k, "without " + f, mustJSON(without(tg.body, f))})
				}
			case "mistyped":
				out = append(out,
					inputProbe{tg, k, "a JSON array body", []byte("[]")},
					inputProbe{tg, k, "a JSON string body", []byte(`"x"`)},
				)
				for _, f := range tg.required {
					out = append(out,
						inputProbe{tg, k, f + " as a number", mustJSON(with(tg.body, f, 12345))},
						inputProbe{tg, k, f + " as an object", mustJSON(with(tg.body, f, map[string]any{"v": 1}))},
					)
				}
			case "light":
				// One of each kind, for the scans of INPUT-006 and INPUT-007.
				allNumbers := map[string]any{}
				for k := range tg.body {
					allNumbers[k] = 12345
				}
				out = append(out,
					inputProbe{tg, k, "truncated JSON", valid[:len(valid)/2]},
					inputProbe{tg, k, "empty object", []byte("{}")},
					inputProbe{tg, k, "every field a number", mustJSON(allNumbers)},
				)
				if len(tg.required) > 1 {
					out = append(out, inputProbe{tg, k, "without " + tg.required[0], mustJSON(without(tg.body, tg.required[0]))})
				}
				fallthrough
			case "oversized":
				pad := strings.Repeat("A", 70<<10)
				field := tg.required[len(tg.required)-1]
				out = append(out, inputProbe{tg, k, "a 70 KiB " + field, mustJSON(with(tg.body, field, pad))})
			}
		}
	}
	return out
}

// sendProbe sends one probe (a transport failure is kept in X.Err).
func (t *T) sendProbe(p inputProbe) *X {
	return t.api("bad input: "+p.target.name+": "+p.what, http.MethodPost, p.target.path, p.body, append(slices.Clone(p.target.opts), tolerateNoAnswer())...)
}

// want4xx checks a bad-input answer: a 4xx, never a 5xx or no answer.
func (t *T) want4xx(x *X, what string) bool {
	if x.Resp == nil {
		if t.ctx.Err() != nil { // our deadline, not the server's doing
			t.Errorf("%s: %s", what, t.stopReason())
		}
		return t.Expect(false, x, "%s: no HTTP answer (connection closed or reset); want a 4xx", what)
	}
	return t.Expect(x.Is4xx(), x, "%s: want a 4xx, never a 5xx or a success", what)
}

// stackMarkers betray a stack trace or an internal error in a body.
var stackMarkers = []string{"goroutine ", "panic", ".go:", "Traceback (most recent call last)", ".java:", ".py\", line", ".php on line", "Exception in thread"}

func stackMarker(body []byte) string {
	s := string(body)
	for _, m := range stackMarkers {
		if strings.Contains(s, m) {
			return m
		}
	}
	return ""
}

// badPaths are calls with unknown path parameters (a valid Bearer token
// is sent).
func badPaths() []struct{ method, path string } {
	return []struct{ method, path string }{
		{http.MethodGet, "/2fa/bogus"},
		{http.MethodGet, "/2fa/bogus/enable/wizard"},
		{http.MethodGet, "/2fa/bogus/disable/wizard"},
		{http.MethodGet, "/2fa/changes/not-a-number"},
		{http.MethodGet, "/2fa/changes/999999999"},
		{http.MethodGet, "/password/changes/not-a-number"},
		{http.MethodGet, "/password/changes/999999999"},
		{http.MethodPost, "/2fa/bogus"},
	}
}

// runInputKinds sends the probes of kinds and wants a 4xx from each.
func runInputKinds(t *T, kinds ...string) {
	echo := randHex(8)
	ts := t.inputTargets(echo)
	for _, p := range inputProbes(ts, kinds...) {
		t.want4xx(t.sendProbe(p), fmt.Sprintf("POST %s with %s", p.target.name, p.what))
	}
}

// battery sends every kind of bad input and wrong credentials and returns
// the answers, with the distinctive secrets sent.
func battery(t *T) ([]*X, []string) {
	echo := randHex(8)
	ts := t.inputTargets(echo)
	secrets := []string{"Echo-" + echo + "-Pw1!", "echo-token-" + echo, "9" + echo[:5]}
	var out []*X
	for _, p := range inputProbes(ts, "light") {
		out = append(out, t.sendProbe(p))
	}
	// Well-formed requests with wrong secrets, and a body that names the
	// secrets while mistyping another field.
	a := t.newAccount()
	s := t.login(a)
	out = append(out,
		t.signinFresh(a.Email, secrets[0]),
		t.refresh(secrets[1]),
		t.changePassword(s.access, secrets[1], secrets[0]),
		t.restorePassword(secrets[1], secrets[0]),
		t.completeChallenge(secrets[1], secrets[2], s.access),
		t.qrSignIn(secrets[1]),
		t.api("bearer echo", http.MethodGet, api+"/2fa", nil, withBearer(secrets[1])),
		t.api("signin mistyped", http.MethodPost, api+"/signin", map[string]any{"uuid": 7, "email": a.Email, "password": secrets[0], "device_fingerprint": t.r.fingerprint()}),
	)
	for _, bp := range badPaths() {
		out = append(out, t.api("unknown path "+bp.path, bp.method, api+bp.path, nil, withBearer(s.access)))
	}
	return out, secrets
}

func init() {
	errSrc := src(docCT, "Errors (bad input gets a 4xx … never a 5xx)")
	register(
		&Check{
			ID: "INPUT-001", Title: "Malformed JSON gets a 4xx on every call", Group: GroupBadInput, Level: MUST,
			Source: errSrc,
			Run:    func(t *T) { runInputKinds(t, "malformed") },
		},
		&Check{
			ID: "INPUT-002", Title: "Missing required fields get a 4xx on every call", Group: GroupBadInput, Level: MUST,
			Source: errSrc + "; the required fields of seeds/000-003",
			Run:    func(t *T) { runInputKinds(t, "missing") },
		},
		&Check{
			ID: "INPUT-003", Title: "Mistyped fields get a 4xx on every call", Group: GroupBadInput, Level: MUST,
			Source: errSrc + "; the field types of seeds/000-003",
			Run:    func(t *T) { runInputKinds(t, "mistyped") },
		},
		&Check{
			ID: "INPUT-004", Title: "A body over 64 KiB gets a 4xx on every call", Group: GroupBadInput, Level: MUST,
			Source: src(docCT, "Errors (a body over 64 KiB)"),
			Run:    func(t *T) { runInputKinds(t, "oversized") },
		},
		&Check{
			ID: "INPUT-005", Title: "Unknown path parameters get a 4xx (an unknown record 404)", Group: GroupBadInput, Level: MUST,
			Source: src(docCT, "Errors (an unknown path parameter)"),
			Run: func(t *T) {
				s := t.login(t.newAccount())
				for _, bp := range badPaths() {
					x := t.api("unknown path "+bp.path, bp.method, api+bp.path, nil, withBearer(s.access))
					if strings.HasSuffix(bp.path, "999999999") {
						t.Expect(x.Status() == http.StatusNotFound, x, "%s %s (no such record): want 404", bp.method, bp.path)
						continue
					}
					t.want4xx(x, bp.method+" "+bp.path)
				}
			},
		},
		&Check{
			ID: "INPUT-006", Title: "Error answers carry no stack trace", Group: GroupBadInput, Level: MUST,
			Source: src(docCT, "Errors"),
			Run: func(t *T) {
				xs, _ := battery(t)
				for _, x := range xs {
					if m := stackMarker(x.Body()); m != "" {
						t.Expect(false, x, "the answer contains %q, the mark of a stack trace or an internal error", m)
					}
				}
			},
		},
		&Check{
			ID: "INPUT-007", Title: "Answers never echo a password, code or token sent", Group: GroupBadInput, Level: MUST,
			Source: src(docCT, "Errors (never echoes a password, a code or a token)"),
			Run: func(t *T) {
				xs, secrets := battery(t)
				for _, x := range xs {
					body := string(x.Body())
					for _, s := range secrets {
						if strings.Contains(body, s) {
							t.Expect(false, x, "the answer echoes a secret sent in the request (%d chars, shown masked)", len(s))
						}
					}
				}
			},
		},
	)
}
