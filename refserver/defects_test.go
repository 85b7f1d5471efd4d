package refserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// Each deliberate defect changes a behaviour that the other tests prove
// correct without it (lockout, TOTP, refresh, sign-out, challenge, history,
// bad-request, Capillary and sign-in tests).
func TestDefects(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T, h *harness){
		DefectNoLockout: func(t *testing.T, h *harness) {
			c := h.client()
			for i := 0; i < 10; i++ {
				h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
			}
			require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
		},
		DefectLockoutIgnoresPassword: func(t *testing.T, h *harness) {
			c := h.client()
			for i := 0; i < 5; i++ {
				h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
			}
			h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusTooManyRequests)
			require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
		},
		DefectTOTPReplay: func(t *testing.T, h *harness) {
			c := h.client("google")
			code := h.totp(*c.TOTPSecret, 0)
			for i := 0; i < 2; i++ {
				uuid := h.wizard()
				h.signin(uuid, c.Email, c.Password)
				h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "google"})
				r := h.do("POST", "/api/v2/my/2fa/google", b2core.CodeRequest{UUID: uuid, Code: code})
				require.Equal(t, http.StatusAccepted, r.status, "attempt %d: %s", i, r.body)
			}
		},
		DefectTOTPWideWindow: func(t *testing.T, h *harness) {
			c := h.client("google")
			uuid := h.wizard()
			h.signin(uuid, c.Email, c.Password)
			h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "google"})
			r := h.do("POST", "/api/v2/my/2fa/google", b2core.CodeRequest{UUID: uuid, Code: h.totp(*c.TOTPSecret, 3)})
			require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		},
		DefectRefreshNoRotate: func(t *testing.T, h *harness) {
			tok := h.login(h.client(), "")
			for i := 0; i < 2; i++ {
				r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			}
		},
		DefectSignOutNoRevoke: func(t *testing.T, h *harness) {
			tok := h.login(h.client(), "")
			require.Equal(t, http.StatusOK, h.do("POST", "/api/v2/my/signout", nil, bearerHdr(tok.AccessToken.Token)...).status)
			require.Equal(t, http.StatusOK, h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(tok.AccessToken.Token)...).status)
		},
		DefectSuccessTokenReusable: func(t *testing.T, h *harness) {
			c := h.client()
			st := h.successToken("", c.Email)
			for i := 0; i < 2; i++ {
				r := h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: fmt.Sprintf("Restored-%d-pw", i)}, "successToken", st)
				require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
			}
		},
		DefectHistoryCrossClient: func(t *testing.T, h *harness) {
			a := h.client()
			st := h.successToken("", a.Email)
			h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-pw"}, "successToken", st)
			tok := h.login(h.client(), "")
			r := h.do("GET", "/api/v2/my/password/changes/1", nil, bearerHdr(tok.AccessToken.Token)...)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		},
		DefectWrongFieldType: func(t *testing.T, h *harness) {
			tok := h.login(h.client(), "")
			r := h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(tok.AccessToken.Token)...)
			var m map[string]any
			require.NoError(t, json.Unmarshal(r.body, &m))
			require.IsType(t, "", m["total"])
			r = h.do("GET", "/api/v2/my/2fa/challenge", nil, bearerHdr(tok.AccessToken.Token)...)
			require.NoError(t, json.Unmarshal(r.body, &m))
			require.IsType(t, float64(0), m["expiresAt"])
		},
		Defect500OnMalformedJSON: func(t *testing.T, h *harness) {
			r := h.send("POST", "/api/v2/my/signin", raw(`{"uuid":`))
			require.Equal(t, http.StatusInternalServerError, r.status)
		},
		DefectNoRetryAfter: func(t *testing.T, h *harness) {
			c := h.client()
			for i := 0; i < 5; i++ {
				h.signin(h.wizard(), c.Email, "wrong")
			}
			r := h.signin(h.wizard(), c.Email, c.Password)
			r.requireError(t, http.StatusTooManyRequests)
			require.Empty(t, r.header.Get("Retry-After"))
		},
		DefectEnumeration: func(t *testing.T, h *harness) {
			c := h.client()
			wrong := h.signin(h.wizard(), c.Email, "wrong")
			unknown := h.signin(h.wizard(), "ghost@authflow.test", "wrong")
			require.Equal(t, http.StatusUnauthorized, wrong.status)
			require.Equal(t, http.StatusNotFound, unknown.status)
		},
		DefectSMSCodeReusable: func(t *testing.T, h *harness) {
			c := h.client("sms")
			var first string
			for i := 0; i < 2; i++ {
				uuid := h.wizard()
				h.signin(uuid, c.Email, c.Password)
				h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: "sms"})
				if i == 0 {
					first = h.code(*c.Phone)
				}
				r := h.do("POST", "/api/v2/my/2fa/sms", b2core.CodeRequest{UUID: uuid, Code: first})
				require.Equal(t, http.StatusAccepted, r.status, "attempt %d: %s", i, r.body)
			}
		},
		DefectCapillaryTokenReusable: func(t *testing.T, h *harness) {
			c := h.client()
			r := h.do("POST", capillary.PathValidate, capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b", Password: c.Password})
			var v capillary.Response
			r.decode(t, &v)
			pw := c.Password
			for i := 0; i < 2; i++ {
				next := fmt.Sprintf("Capillary-%d-pw", i)
				r = h.do("POST", capillary.PathChange, capillary.ChangeRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b",
					Password: pw, NewPassword: next, ConfirmPassword: next, Token: v.Token})
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				pw = next
			}
		},
		DefectWizardUUIDReplay: func(t *testing.T, h *harness) {
			c := h.client()
			uuid := h.wizard()
			require.Equal(t, http.StatusAccepted, h.signin(uuid, c.Email, c.Password).status)
			require.Equal(t, http.StatusAccepted, h.signin(uuid, c.Email, c.Password).status)
		},
		DefectAccessTokenNoExpiry: func(t *testing.T, h *harness) {
			tok := h.login(h.client(), "")
			h.clk.Advance(DefaultAccessTTL + time.Hour)
			require.Equal(t, http.StatusOK, h.do("GET", "/api/v2/my/2fa", nil, bearerHdr(tok.AccessToken.Token)...).status)
		},
	}
	for name, fn := range raceDefectCases {
		cases[name] = fn
	}
	for name, fn := range windowDefectCases {
		cases[name] = fn
	}
	for name, fn := range bindingDefectCases {
		cases[name] = fn
	}
	for _, d := range Defects() {
		require.Contains(t, cases, d.Name, "defect %s has no test", d.Name)
	}
	for name, fn := range cases {
		t.Run("ok/"+name, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarness(t, withDefects(name)))
		})
	}
}

func TestParseDefects(t *testing.T) {
	t.Parallel()
	got, err := ParseDefects([]string{"no-lockout, totp-replay", "no-lockout", ""})
	require.NoError(t, err)
	require.Equal(t, []string{"no-lockout", "totp-replay"}, got)
	_, err = ParseDefects([]string{"no-such-defect"})
	require.ErrorContains(t, err, "no-such-defect")
	_, err = New(Config{Defects: []string{"nope"}})
	require.Error(t, err)
}
