package refserver

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSignInWizardInit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("GET", "/api/v2/my/signin/wizard", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `{"code":200,"data":{"recaptcha":{"enabled":false},"is_qr_available":true,"is_password_recovery_available":true},"done":false,"uuid":"`+
		jsonField(t, r.body, "uuid")+`","workflow":"login"}`, string(r.body))
	require.Regexp(t, uuidRE, jsonField(t, r.body, "uuid"))
	require.NotEqual(t, h.wizard(), h.wizard())
}

func jsonField(t *testing.T, body []byte, name string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	s, _ := m[name].(string)
	return s
}

func TestSignInFlows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		twoFactor []string
		method    string
	}{
		{"ok/no-2fa", nil, ""},
		{"ok/google", []string{"google"}, "google"},
		{"ok/sms", []string{"sms"}, "sms"},
		{"ok/both-choose-google", []string{"google", "sms"}, "google"},
		{"ok/both-choose-sms", []string{"google", "sms"}, "sms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			c := h.client(tc.twoFactor...)
			uuid := h.wizard()
			r := h.signin(uuid, c.Email, c.Password)
			var w b2core.Wizard[b2core.SignInData]
			r.decode(t, &w)
			require.Equal(t, uuid, w.UUID)
			providers := map[string]bool{}
			for _, p := range w.Data.TFAProviders {
				providers[p.Name] = p.Enabled
			}
			require.Len(t, w.Data.TFAProviders, 2)
			require.Equal(t, "sms", w.Data.TFAProviders[0].Name)
			require.Equal(t, "SMS", w.Data.TFAProviders[0].LocalizedCaption)
			require.Equal(t, "Google Authenticator", w.Data.TFAProviders[1].LocalizedCaption)

			if tc.method == "" {
				require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
				require.Equal(t, 202, w.Code)
				require.True(t, w.Done)
				require.Equal(t, "login", w.Workflow)
				require.False(t, providers["sms"] || providers["google"])
				checkTokens(t, h, w.Data.AccessToken, w.Data.RefreshToken)
				// The uuid is dead now.
				h.signin(uuid, c.Email, c.Password).requireError(t, http.StatusUnprocessableEntity)
				return
			}
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			require.Equal(t, 200, w.Code)
			require.False(t, w.Done)
			require.Equal(t, "2fa", w.Workflow)
			require.JSONEq(t, `{}`, string(mustJSON(t, w.Data.AccessToken)))
			require.Contains(t, string(r.body), `"accessToken":{}`)
			require.Contains(t, string(r.body), `"refreshToken":{}`)
			for _, p := range tc.twoFactor {
				require.True(t, providers[p], p)
			}

			// Code before choosing: wrong step.
			h.do("POST", "/api/v2/my/2fa/"+tc.method, b2core.CodeRequest{UUID: uuid, Code: "123456"}).requireError(t, http.StatusConflict)

			r = h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: tc.method})
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			wantWF := "2fa_google_auth"
			if tc.method == "sms" {
				wantWF = "2fa_sms_auth"
			}
			require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+uuid+`","workflow":"`+wantWF+`"}`, string(r.body))

			// The other method's endpoint is the wrong step.
			other := map[string]string{"google": "sms", "sms": "google"}[tc.method]
			h.do("POST", "/api/v2/my/2fa/"+other, b2core.CodeRequest{UUID: uuid, Code: "123456"}).requireError(t, http.StatusConflict)
			// Choosing again is the wrong step.
			h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: tc.method}).requireError(t, http.StatusConflict)

			var code string
			if tc.method == "google" {
				code = h.totp(*c.TOTPSecret, 0)
			} else {
				code = h.code(*c.Phone)
			}
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			h.do("POST", "/api/v2/my/2fa/"+tc.method, b2core.CodeRequest{UUID: uuid, Code: wrong}).requireError(t, http.StatusUnprocessableEntity)

			r = h.do("POST", "/api/v2/my/2fa/"+tc.method, b2core.CodeRequest{UUID: uuid, Code: code})
			require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
			var done b2core.Wizard[b2core.Tokens]
			r.decode(t, &done)
			require.Equal(t, 202, done.Code)
			require.True(t, done.Done)
			require.Equal(t, "login", done.Workflow)
			require.Equal(t, uuid, done.UUID)
			checkTokens(t, h, done.Data.AccessToken, done.Data.RefreshToken)

			// Finished uuid: dead for every step.
			h.do("POST", "/api/v2/my/2fa/"+tc.method, b2core.CodeRequest{UUID: uuid, Code: code}).requireError(t, http.StatusUnprocessableEntity)
			h.signin(uuid, c.Email, c.Password).requireError(t, http.StatusUnprocessableEntity)
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// checkTokens checks a token pair's shape and that the access token works.
func checkTokens(t *testing.T, h *harness, at, rt *b2core.Token) {
	t.Helper()
	require.NotNil(t, at)
	require.NotNil(t, rt)
	require.NotEmpty(t, at.Token)
	require.NotEmpty(t, rt.Token)
	require.NotEqual(t, at.Token, rt.Token)
	now := h.clk.Now()
	for _, tok := range []*b2core.Token{at, rt} {
		require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`, tok.CreatedAt)
		require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`, tok.ExpiresAt)
		created, err := time.Parse(b2core.TimeLayout, tok.CreatedAt)
		require.NoError(t, err)
		require.True(t, now.Truncate(time.Second).Equal(created), "createdAt %s", tok.CreatedAt)
	}
	aexp, _ := time.Parse(b2core.TimeLayout, at.ExpiresAt)
	rexp, _ := time.Parse(b2core.TimeLayout, rt.ExpiresAt)
	require.True(t, now.Add(DefaultAccessTTL).Truncate(time.Second).Equal(aexp), at.ExpiresAt)
	require.True(t, now.Add(DefaultRefreshTTL).Truncate(time.Second).Equal(rexp), rt.ExpiresAt)
	r := h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(at.Token)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func TestSignInRejections(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	g := h.client("google")

	t.Run("err/wrong-password-same-as-unknown-email", func(t *testing.T) {
		uuid := h.wizard()
		wrong := h.signin(uuid, c.Email, "not-the-password")
		unknown := h.signin(uuid, "nobody-"+c.Email, "not-the-password")
		e := wrong.requireError(t, http.StatusUnauthorized)
		require.Equal(t, wrong.status, unknown.status)
		require.Equal(t, string(wrong.body), string(unknown.body))
		require.NotContains(t, e.Message, "not-the-password")
		// The wizard is still at login: the right password works.
		require.Equal(t, http.StatusAccepted, h.signin(uuid, c.Email, c.Password).status)
	})
	t.Run("ok/email-case-insensitive", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), " "+upper(c.Email)+" ", c.Password).status)
	})
	t.Run("err/unknown-uuid", func(t *testing.T) {
		h.signin("36f59381-5b54-48bd-a0c7-3b908c476732", c.Email, c.Password).requireError(t, http.StatusUnprocessableEntity)
	})
	t.Run("err/expired-uuid", func(t *testing.T) {
		hh := newHarness(t)
		cc := hh.client()
		uuid := hh.wizard()
		hh.clk.Advance(DefaultWizardTTL + time.Second)
		hh.signin(uuid, cc.Email, cc.Password).requireError(t, http.StatusUnprocessableEntity)
	})
	t.Run("err/2fa-type-not-enabled", func(t *testing.T) {
		uuid := h.wizard()
		require.Equal(t, http.StatusOK, h.signin(uuid, g.Email, g.Password).status)
		h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "sms"}).requireError(t, http.StatusUnprocessableEntity)
		h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "email"}).requireError(t, http.StatusUnprocessableEntity)
		// Still at 2fa: google can be chosen.
		require.Equal(t, http.StatusOK, h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "google"}).status)
	})
	t.Run("err/choose-before-signin", func(t *testing.T) {
		h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: h.wizard(), Type: "google"}).requireError(t, http.StatusConflict)
	})
	t.Run("err/bad-fingerprint", func(t *testing.T) {
		for _, fp := range []string{
			"dwqdnNFJBOEBFJEBjqewbkjqbdwjqwbndjnbj", // the documents' placeholder: not Base64 JSON
			"eyJ1c2VyIjoieCJ9",                      // {"user":"x"}: no user_agent
			"eyJ1c2VyX2FnZW50IjoxfQ==",              // {"user_agent":1}
			"WzFd",                                  // [1]
			"!!!",
			// The documents' QR example is garbled: it decodes to a JSON string
			// with control characters in it, which is not JSON.
			"eyJ1c2VyX2FnZW50IjoiTW96aWxsYVwvNS4WIChXaW5kb3dZIE5UIDYUMTSgV2luNjQ7IHg2NDsgcnY6NDCUMCkR2Vja29cLzIwMTAwMTAXIEZpcmVmb3hcLzQ3LjAifQ==",
		} {
			r := h.do("POST", "/api/v2/my/signin", b2core.SignInRequest{UUID: h.wizard(), Email: c.Email, Password: c.Password, DeviceFingerprint: fp})
			r.requireError(t, http.StatusUnprocessableEntity)
		}
	})
	t.Run("ok/fingerprint-forms", func(t *testing.T) {
		js := []byte(`{"user_agent":"Mozilla/5.0 (X11) ~~??>>"}`)
		for _, fp := range []string{
			b64(js, "std"), b64(js, "rawstd"), b64(js, "url"), b64(js, "rawurl"),
		} {
			require.True(t, validFingerprint(fp), fp)
		}
	})
}

func TestSignInResetRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client("google")
	h.do("POST", "/__hooks/clients/9999/reset-required", nil).requireError(t, http.StatusNotFound)
	r := h.do("POST", "/__hooks/clients/"+itoa(c.ID)+"/reset-required", nil)
	require.Equal(t, http.StatusNoContent, r.status)

	uuid := h.wizard()
	// Wrong password first: still 401, nothing sent.
	h.signin(uuid, c.Email, "wrong-password").requireError(t, http.StatusUnauthorized)
	r = h.signin(uuid, c.Email, c.Password)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+uuid+`","workflow":"reset_password_email"}`, string(r.body))

	// Wrong steps.
	h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "NewPassw0rd!", PasswordConfirmation: "NewPassw0rd!"}).requireError(t, http.StatusConflict)
	h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "google"}).requireError(t, http.StatusConflict)

	code := h.code(c.Email)
	require.Regexp(t, `^\d{6}$`, code)
	wrong := map[bool]string{true: "111111", false: "000000"}[code == "000000"]
	h.do("POST", "/api/v2/my/signin/password/restore", b2core.SignInRestoreRequest{UUID: uuid, Action: "code", Code: wrong}).requireError(t, http.StatusUnprocessableEntity)
	h.do("POST", "/api/v2/my/signin/password/restore", b2core.SignInRestoreRequest{UUID: uuid, Action: "email", Code: code}).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/signin/password/restore", b2core.SignInRestoreRequest{UUID: uuid, Action: "code", Code: code})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+uuid+`","workflow":"reset_password"}`, string(r.body))
	// The code was used up, and the step is over.
	h.do("POST", "/api/v2/my/signin/password/restore", b2core.SignInRestoreRequest{UUID: uuid, Action: "code", Code: code}).requireError(t, http.StatusConflict)

	h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "NewPassw0rd!", PasswordConfirmation: "Different0!"}).requireError(t, http.StatusUnprocessableEntity)
	h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "short", PasswordConfirmation: "short"}).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "NewPassw0rd!", PasswordConfirmation: "NewPassw0rd!"})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.JSONEq(t, `{"code":202,"data":{"client":{"id":`+itoa(c.ID)+`,"email":"`+c.Email+`","settings":{}}},"done":true,"uuid":"`+uuid+`","workflow":"login"}`, string(r.body))
	h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "NewPassw0rd!", PasswordConfirmation: "NewPassw0rd!"}).requireError(t, http.StatusUnprocessableEntity)

	// Old password refused, new one signs in normally (2FA, no reset).
	h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusUnauthorized)
	c.Password = "NewPassw0rd!"
	tokens := h.login(c, "google")

	// A `restored` history entry.
	r = h.do("GET", "/api/v2/my/password/changes", nil, bearerHdr(tokens.AccessToken.Token)...)
	var list b2core.List[b2core.PasswordChange]
	r.decode(t, &list)
	require.Equal(t, 1, list.Total)
	require.Equal(t, "restored", list.Data[0].Type)
}

func TestRefreshAndSignOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")

	r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var next b2core.Tokens
	r.decode(t, &next)
	checkTokens(t, h, next.AccessToken, next.RefreshToken)
	require.NotEqual(t, tok.AccessToken.Token, next.AccessToken.Token)
	require.NotEqual(t, tok.RefreshToken.Token, next.RefreshToken.Token)

	t.Run("err/reused-refresh-token", func(t *testing.T) {
		h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token}).requireError(t, http.StatusUnauthorized)
	})
	t.Run("err/old-access-token", func(t *testing.T) {
		h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(tok.AccessToken.Token)...).requireError(t, http.StatusUnauthorized)
	})
	t.Run("err/garbage-refresh-token", func(t *testing.T) {
		h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: "garbage"}).requireError(t, http.StatusUnauthorized)
	})

	// Sign out revokes both.
	r = h.do("POST", "/api/v2/my/signout", nil, bearerHdr(next.AccessToken.Token)...)
	require.Equal(t, http.StatusOK, r.status)
	h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(next.AccessToken.Token)...).requireError(t, http.StatusUnauthorized)
	h.do("POST", "/api/v2/my/signout", nil, bearerHdr(next.AccessToken.Token)...).requireError(t, http.StatusUnauthorized)
	h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: next.RefreshToken.Token}).requireError(t, http.StatusUnauthorized)

	t.Run("err/expired-access-token", func(t *testing.T) {
		tok := h.login(c, "")
		h.clk.Advance(DefaultAccessTTL)
		r := h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(tok.AccessToken.Token)...)
		r.requireError(t, http.StatusUnauthorized)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
		// The refresh token still works and gives a working access token.
		r = h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		require.Equal(t, http.StatusOK, r.status)
	})
	t.Run("err/expired-refresh-token", func(t *testing.T) {
		tok := h.login(c, "")
		h.clk.Advance(DefaultRefreshTTL)
		h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token}).requireError(t, http.StatusUnauthorized)
	})
	t.Run("err/bad-bearer", func(t *testing.T) {
		for _, hv := range []string{"", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token", "bearer " + strings.Repeat("a", 600)} {
			h.do("POST", "/api/v2/my/signout", nil, "Authorization", hv).requireError(t, http.StatusUnauthorized)
		}
	})
}

func TestRefreshRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withPolicy(testhooks.Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600}, testhooks.Limit{Attempts: 3, WindowSeconds: 60, BlockSeconds: 120}))
	c := h.client()
	tok := h.login(c, "").RefreshToken.Token
	for i := 0; i < 3; i++ {
		r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok})
		require.Equal(t, http.StatusOK, r.status, "refresh %d: %s", i, r.body)
		var next b2core.Tokens
		r.decode(t, &next)
		tok = next.RefreshToken.Token
	}
	r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok})
	r.requireError(t, http.StatusTooManyRequests)
	require.Equal(t, "120", r.header.Get("Retry-After"))
	// A second session of the same client is limited too (per client).
	other := h.login(c, "").RefreshToken.Token
	h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: other}).requireError(t, http.StatusTooManyRequests)
	h.clk.Advance(61 * time.Second)
	r = h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok})
	require.Equal(t, "59", r.header.Get("Retry-After"))
	h.clk.Advance(60 * time.Second)
	// The refused token was not used up.
	r = h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func TestQRSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mobile := h.login(h.client(), "")

	r := h.do("GET", "/api/v2/my/signin/qrcodes", nil)
	require.Equal(t, http.StatusOK, r.status)
	var ch b2core.QRChannel
	r.decode(t, &ch)
	require.Regexp(t, uuidRE, ch.ID)
	require.Equal(t, 2, ch.LifetimeMinutes)
	require.Equal(t, "127.0.0.1", ch.IP)
	require.Nil(t, ch.Location)
	require.Contains(t, string(r.body), `"location":null`)

	h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: ch.ID}).requireError(t, http.StatusUnauthorized)
	h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: "nope"}, bearerHdr(mobile.AccessToken.Token)...).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: ch.ID}, bearerHdr(mobile.AccessToken.Token)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var at b2core.QRTokenResponse
	r.decode(t, &at)
	require.NotEmpty(t, at.AuthorizationToken)
	// The channel is single-use.
	h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: ch.ID}, bearerHdr(mobile.AccessToken.Token)...).requireError(t, http.StatusConflict)

	h.do("POST", "/api/v2/my/signin/qrcodes", b2core.QRSignInRequest{DeviceFingerprint: "bad", AuthorizationToken: at.AuthorizationToken}).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/signin/qrcodes", b2core.QRSignInRequest{DeviceFingerprint: fingerprint, AuthorizationToken: at.AuthorizationToken})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var res b2core.QRSignInResponse
	r.decode(t, &res)
	require.NotZero(t, res.ClientID)
	checkTokens(t, h, res.Tokens.AccessToken, res.Tokens.RefreshToken)
	require.NotEqual(t, mobile.AccessToken.Token, res.Tokens.AccessToken.Token)
	// The authorization token is single-use.
	h.do("POST", "/api/v2/my/signin/qrcodes", b2core.QRSignInRequest{DeviceFingerprint: fingerprint, AuthorizationToken: at.AuthorizationToken}).requireError(t, http.StatusUnauthorized)

	t.Run("err/expired-channel", func(t *testing.T) {
		r := h.do("GET", "/api/v2/my/signin/qrcodes", nil)
		var ch b2core.QRChannel
		r.decode(t, &ch)
		r = h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: ch.ID}, bearerHdr(mobile.AccessToken.Token)...)
		var at b2core.QRTokenResponse
		r.decode(t, &at)
		h.clk.Advance(DefaultQRLifetime)
		h.do("POST", "/api/v2/my/signin/qrcodes", b2core.QRSignInRequest{DeviceFingerprint: fingerprint, AuthorizationToken: at.AuthorizationToken}).requireError(t, http.StatusUnauthorized)
	})
}
