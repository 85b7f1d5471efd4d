package refserver

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
	"github.com/authflow/authflow/internal/testutil"
)

// Every flow at debug level: one line per request, and no password, code or
// token in any line.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var buf testutil.SyncBuffer
	h := newHarness(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Users = UsersConfig{Count: 3}
	})
	h.secrets = map[string]bool{}

	// Sign-ins of every kind.
	plain := h.client()
	tok := h.login(plain, "")
	h.login(h.client("google"), "")
	h.login(h.client("sms"), "")
	both := h.client("google", "sms")
	h.login(both, "google")
	h.login(both, "sms")
	h.signin(h.wizard(), plain.Email, "wrong-Password-1")
	h.signin(h.wizard(), "nobody@authflow.test", "wrong-Password-2")

	// Reset-required.
	rr := h.client()
	h.do("POST", "/__hooks/clients/"+itoa(rr.ID)+"/reset-required", nil)
	uuid := h.wizard()
	h.signin(uuid, rr.Email, rr.Password)
	h.do("POST", "/api/v2/my/signin/password/restore", b2core.SignInRestoreRequest{UUID: uuid, Action: "code", Code: h.code(rr.Email)})
	h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "Reset-Passw0rd", PasswordConfirmation: "Reset-Passw0rd"})

	// Refresh, challenge, password change and restore.
	r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
	var next b2core.Tokens
	r.decode(t, &next)
	bearer := bearerHdr(next.AccessToken.Token)
	st := h.successToken(next.AccessToken.Token, plain.Email)
	h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-Passw0rd"}, append(bearer, "successToken", st)...)
	st = h.successToken("", plain.Email)
	h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-Passw0rd"}, "successToken", st)

	// 2FA management.
	r = h.do("GET", "/api/v2/my/2fa/google/enable/wizard", nil, bearer...)
	var w b2core.Wizard[b2core.EnableWizardData]
	r.decode(t, &w)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(w.Data.Key, 0), Key: w.Data.Key}, bearer...)
	r = h.do("GET", "/api/v2/my/2fa/sms/enable/wizard", nil, bearer...)
	r.decode(t, &w)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Phone: "+15550109999"}, bearer...)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.code("+15550109999")}, bearer...)
	h.do("GET", "/api/v2/my/2fa/changes?filter[provider]=sms", nil, bearer...)
	h.do("GET", "/api/v2/my/password/changes", nil, bearer...)

	// QR.
	r = h.do("GET", "/api/v2/my/signin/qrcodes", nil)
	var ch b2core.QRChannel
	r.decode(t, &ch)
	r = h.do("POST", "/api/v2/my/signin/tokens", b2core.QRTokenRequest{ChannelID: ch.ID}, bearer...)
	var at b2core.QRTokenResponse
	r.decode(t, &at)
	h.do("POST", "/api/v2/my/signin/qrcodes", b2core.QRSignInRequest{DeviceFingerprint: fingerprint, AuthorizationToken: at.AuthorizationToken})

	// Capillary.
	c := h.client()
	r = h.do("POST", capillary.PathValidate, capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b", Password: c.Password})
	var v capillary.Response
	r.decode(t, &v)
	h.addSecret(v.Token)
	h.do("POST", capillary.PathChange, capillary.ChangeRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b",
		Password: c.Password, NewPassword: "Capillary-Passw0rd", ConfirmPassword: "Capillary-Passw0rd", Token: v.Token})

	// Errors and a panic.
	h.do("POST", "/api/v2/my/signin", raw(`{"password":"Malformed-Secret-1"`))
	h.addSecret("Malformed-Secret-1")
	h.do("POST", "/api/v2/my/signout", nil, bearer...)
	h.do("GET", "/api/v2/my/2fa", nil, bearer...)

	// Load-test users' passwords.
	users, err := GenerateUsers(UsersConfig{Count: 3})
	require.NoError(t, err)
	for _, u := range users {
		h.addSecret(u.Password)
	}

	logs := buf.String()
	require.NotEmpty(t, logs)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Greater(t, len(h.secrets), 40, "the flows produced secrets to look for")
	for s := range h.secrets {
		require.NotContains(t, logs, s, "a secret is in the logs")
	}

	// One structured line per request.
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		if rec["msg"] != "request" {
			continue
		}
		lines++
		require.Equal(t, "DEBUG", rec["level"])
		require.Contains(t, rec, "method")
		require.Contains(t, rec, "route")
		require.Contains(t, rec, "status")
		require.Contains(t, rec, "duration")
	}
	require.Greater(t, lines, 60)
	require.Contains(t, logs, `"route":"POST /api/v2/my/2fa/google"`)
	require.Contains(t, logs, `"status":401`)
}
