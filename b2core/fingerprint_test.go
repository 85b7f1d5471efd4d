package b2core_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

func TestDeviceFingerprint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ua, want string
	}{
		{name: "ok/default", ua: "", want: "authflow/1.0"},
		{name: "ok/browser", ua: "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0", want: "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0"},
		{name: "ok/quotes_and_unicode", ua: `a "b" <c> ü`, want: `a "b" <c> ü`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fp := b2core.DeviceFingerprint(tc.ua)
			raw, err := base64.StdEncoding.DecodeString(fp) // std alphabet, padded
			require.NoError(t, err)
			var obj map[string]any
			require.NoError(t, json.Unmarshal(raw, &obj))
			assert.Equal(t, map[string]any{"user_agent": tc.want}, obj)
		})
	}
}

func TestClientFingerprint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  b2core.Config
		want string
	}{
		{name: "ok/from_user_agent", cfg: b2core.Config{UserAgent: "k6/1.0"}, want: b2core.DeviceFingerprint("k6/1.0")},
		{name: "ok/default_user_agent", cfg: b2core.Config{}, want: b2core.DeviceFingerprint("authflow/1.0")},
		{name: "ok/configured", cfg: b2core.Config{DeviceFingerprint: "eyJ1c2VyX2FnZW50IjoieCJ9", UserAgent: "ignored"}, want: "eyJ1c2VyX2FnZW50IjoieCJ9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"POST /api/v2/my/signin": reply(200, example(t, "signin_login")),
				"POST /api/v2/my/signin/qrcodes": reply(200, example(t, "qr_signin"))})
			c, _ := newClient(f, tc.cfg, 0)
			assert.Equal(t, tc.want, c.Fingerprint())
			_, err := c.SignIn(t.Context(), testUUID, testEmail, testPassword)
			require.NoError(t, err)
			var body b2core.SignInRequest
			require.NoError(t, json.Unmarshal([]byte(f.body("POST /api/v2/my/signin", 0)), &body))
			assert.Equal(t, tc.want, body.DeviceFingerprint)
			assert.Equal(t, testPassword, body.Password)
			_, err = c.QRSignIn(t.Context(), "auth")
			require.NoError(t, err)
			var qr b2core.QRSignInRequest
			require.NoError(t, json.Unmarshal([]byte(f.body("POST /api/v2/my/signin/qrcodes", 0)), &qr))
			assert.Equal(t, tc.want, qr.DeviceFingerprint)
		})
	}
}
