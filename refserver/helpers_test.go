package refserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/testhooks"
)

// newClock is a settable clock for Config.Now, one second into a TOTP step
// on a fixed date.
func newClock() *testutil.Clock {
	return testutil.NewClock(time.Date(2026, 3, 4, 5, 6, 31, 0, time.UTC))
}

// harness is a server under test on a real loopback listener.
type harness struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	clk *testutil.Clock

	// secrets, when not nil, collects every secret-looking string value
	// sent or received (see collectSecrets).
	mu      sync.Mutex
	secrets map[string]bool
}

func newHarness(t *testing.T, mods ...func(*Config)) *harness {
	t.Helper()
	clk := newClock()
	cfg := Config{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return &harness{t: t, srv: srv, ts: ts, clk: clk}
}

func withDefects(names ...string) func(*Config) {
	return func(c *Config) { c.Defects = names }
}

func withPolicy(signin, refresh testhooks.Limit) func(*Config) {
	return func(c *Config) { c.Policy = testhooks.Policy{SignIn: signin, Refresh: refresh} }
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// raw is a request body sent as is.
type raw string

// do sends a request; body is nil (none), raw, or a value sent as JSON;
// hdr are header name/value pairs. It fails the test on any 5xx.
func (h *harness) do(method, path string, body any, hdr ...string) response {
	h.t.Helper()
	r := h.send(method, path, body, hdr...)
	require.Less(h.t, r.status, 500, "%s %s answered %d: %s", method, path, r.status, r.body)
	return r
}

// send is do without the 5xx check.
func (h *harness) send(method, path string, body any, hdr ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case raw:
		rd = strings.NewReader(string(b))
		h.collect([]byte(b))
	default:
		j, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(j)
		h.collect(j)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	require.NoError(h.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.ts.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	h.collect(b)
	for i := 0; i+1 < len(hdr); i += 2 {
		if v := strings.TrimPrefix(hdr[i+1], "Bearer "); len(v) >= 6 {
			h.addSecret(v)
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// requireError checks a JSON error answer of the given status.
func (r response) requireError(t *testing.T, status int) b2core.ErrorBody {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var e b2core.ErrorBody
	r.decode(t, &e)
	require.Equal(t, status, e.Code)
	require.NotEmpty(t, e.Message)
	require.NotNil(t, e.Errors)
	return e
}

func bearerHdr(token string) []string { return []string{"Authorization", "Bearer " + token} }

var fingerprint = base64.StdEncoding.EncodeToString([]byte(`{"user_agent":"authflow-test/1.0"}`))

// client creates an account through the hooks.
func (h *harness) client(twoFactor ...string) testhooks.Client {
	h.t.Helper()
	if twoFactor == nil {
		twoFactor = []string{}
	}
	r := h.do("POST", "/__hooks/clients", testhooks.CreateClientRequest{TwoFactor: twoFactor})
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	var c testhooks.Client
	r.decode(h.t, &c)
	return c
}

// code is the latest code sent to an email or phone.
func (h *harness) code(to string) string {
	h.t.Helper()
	r := h.do("GET", "/__hooks/messages/latest?to="+urlQueryEscape(to), nil)
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var m testhooks.Message
	r.decode(h.t, &m)
	return m.Code
}

func urlQueryEscape(s string) string { return strings.ReplaceAll(s, "+", "%2B") }

// totp is the code of secret at the server's clock plus skew steps.
func (h *harness) totp(secret string, skew int) string {
	h.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, h.clk.Now().Add(time.Duration(skew)*30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(h.t, err)
	return c
}

// nextStep moves the clock to the next TOTP step, so a new code is fresh.
func (h *harness) nextStep() { h.clk.Advance(30 * time.Second) }

func (h *harness) wizard() string {
	h.t.Helper()
	r := h.do("GET", "/api/v2/my/signin/wizard", nil)
	require.Equal(h.t, http.StatusOK, r.status)
	var w b2core.Wizard[b2core.WizardInitData]
	r.decode(h.t, &w)
	return w.UUID
}

func (h *harness) signin(uuid, email, password string) response {
	h.t.Helper()
	return h.do("POST", "/api/v2/my/signin", b2core.SignInRequest{UUID: uuid, Email: email, Password: password, DeviceFingerprint: fingerprint})
}

// login signs c in, choosing method when it has 2FA (google by default).
func (h *harness) login(c testhooks.Client, method string) b2core.Tokens {
	h.t.Helper()
	uuid := h.wizard()
	r := h.signin(uuid, c.Email, c.Password)
	require.Equal(h.t, 2, r.status/100, "%s", r.body)
	var first b2core.Wizard[b2core.SignInData]
	r.decode(h.t, &first)
	if first.Done { // code 202: signed in (the HTTP status is 202, or 200 in the alt personality)
		return b2core.Tokens{AccessToken: first.Data.AccessToken, RefreshToken: first.Data.RefreshToken}
	}
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	if method == "" {
		method = b2core.ProviderGoogle
		if c.TOTPSecret == nil {
			method = b2core.ProviderSMS
		}
	}
	r = h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: method})
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var code string
	if method == b2core.ProviderGoogle {
		h.nextStep()
		code = h.totp(*c.TOTPSecret, 0)
	} else {
		code = h.code(*c.Phone)
	}
	r = h.do("POST", "/api/v2/my/2fa/"+method, b2core.CodeRequest{UUID: uuid, Code: code})
	require.Equal(h.t, 2, r.status/100, "%s", r.body)
	var w b2core.Wizard[b2core.Tokens]
	r.decode(h.t, &w)
	require.True(h.t, w.Done, "%s", r.body)
	require.Equal(h.t, http.StatusAccepted, w.Code, "%s", r.body)
	return w.Data
}

// successToken runs an authorized (access != "") or unauthorized challenge.
func (h *harness) successToken(access, email string) string {
	h.t.Helper()
	var r response
	if access != "" {
		r = h.do("GET", "/api/v2/my/2fa/challenge", nil, bearerHdr(access)...)
	} else {
		r = h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+urlQueryEscape(email), nil)
	}
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var conf b2core.ChallengeResponse
	r.decode(h.t, &conf)
	var hdr []string
	if access != "" {
		hdr = bearerHdr(access)
	}
	r = h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: h.code(email)}, hdr...)
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var st b2core.ChallengeResponse
	r.decode(h.t, &st)
	require.NotEmpty(h.t, st.SuccessTokenValue())
	return st.SuccessTokenValue()
}

func upper(s string) string { return strings.ToUpper(s) }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func b64(b []byte, form string) string {
	switch form {
	case "rawstd":
		return base64.RawStdEncoding.EncodeToString(b)
	case "url":
		return base64.URLEncoding.EncodeToString(b)
	case "rawurl":
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// secretKeys are the JSON keys whose string values are secrets.
var secretKeys = map[string]bool{
	"token": true, "password": true, "code": true, "key": true, "totpSecret": true,
	"refreshToken": true, "accessToken": true, "authorizationToken": true, "successToken": true,
	"passwordConfirmation": true, "newPassword": true, "confirmPassword": true,
}

func (h *harness) collect(body []byte) {
	if h.secrets == nil {
		return
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			if secretKeys[key] && len(x) >= 6 {
				h.addSecret(x)
			}
		}
	}
	walk("", v)
}

func (h *harness) addSecret(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.secrets != nil {
		h.secrets[s] = true
	}
}

// testPolicy is the default policy with n sign-in attempts.
func testPolicy(n int) testhooks.Policy {
	p := testhooks.DefaultPolicy()
	p.SignIn.Attempts = n
	return p
}
