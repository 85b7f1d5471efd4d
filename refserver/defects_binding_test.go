package refserver

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// The binding defects: a code or token of one client works for another
// (capillary_test.go and codes tests prove the correct behaviour).
var bindingDefectCases = map[string]func(t *testing.T, h *harness){
	DefectCodeUnbound: func(t *testing.T, h *harness) {
		a, b := h.client(), h.client()
		h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+urlQueryEscape(a.Email), nil)
		codeA := h.code(a.Email)
		r := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+urlQueryEscape(b.Email), nil)
		var conf b2core.ChallengeResponse
		r.decode(t, &conf)
		r = h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: codeA})
		require.Equal(t, http.StatusOK, r.status, "client A's code completes client B's challenge: %s", r.body)
	},
	DefectCapillaryTokenUnbound: func(t *testing.T, h *harness) {
		a, b := h.client(), h.client()
		r := h.do("POST", capillary.PathValidate, capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: a.Email, DeviceID: "d", Brand: "b", Password: a.Password})
		var v capillary.Response
		r.decode(t, &v)
		r = h.do("POST", capillary.PathChange, capillary.ChangeRequest{IdentifierType: "EMAIL", IdentifierValue: b.Email, DeviceID: "other", Brand: "b",
			Password: b.Password, NewPassword: "Changed-by-A-pw", ConfirmPassword: "Changed-by-A-pw", Token: v.Token})
		require.Equal(t, http.StatusOK, r.status, "client A's token changes client B's password from another device: %s", r.body)
	},
	DefectResetBeforeCode:        testResetBeforeCode,
	DefectEnumerationTiming:      testEnumerationTiming,
	DefectLockoutCaseSensitive:   testLockoutCaseSensitive,
	DefectRefreshLimitPerSession: testRefreshLimitPerSession,
}

// The wizard-order defect: the new password before the emailed code.
func testResetBeforeCode(t *testing.T, h *harness) {
	c := h.client()
	require.Equal(t, http.StatusNoContent, h.do("POST", "/__hooks/clients/"+itoa(c.ID)+"/reset-required", nil).status)
	uuid := h.wizard()
	r := h.signin(uuid, c.Email, c.Password)
	require.Contains(t, string(r.body), b2core.WorkflowResetPasswordEmail)
	r = h.do("POST", "/api/v2/my/signin/password/reset", b2core.SignInResetRequest{UUID: uuid, Password: "Skipped-code-pw", PasswordConfirmation: "Skipped-code-pw"})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
}

// The timing defect: an existing email's wrong password is slower.
func testEnumerationTiming(t *testing.T, h *harness) {
	c := h.client()
	start := time.Now()
	h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
	require.GreaterOrEqual(t, time.Since(start), timingGap)
	r := h.signin(h.wizard(), "ghost@authflow.test", "wrong")
	require.Equal(t, http.StatusUnauthorized, r.status)
}

// The limit-dodging defects.
func testLockoutCaseSensitive(t *testing.T, h *harness) {
	c := h.client()
	for i := range 5 {
		email := c.Email
		if i%2 == 0 {
			email = upper(c.Email)
		}
		h.signin(h.wizard(), email, "wrong").requireError(t, http.StatusUnauthorized)
	}
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status, "3 + 2 failures, counted apart")
}

func testRefreshLimitPerSession(t *testing.T, h *harness) {
	c := h.client()
	tok := h.login(c, "")
	for range 5 {
		r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		r.decode(t, &tok)
	}
	other := h.login(c, "")
	r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: other.RefreshToken.Token})
	require.Equal(t, http.StatusOK, r.status, "a new session of the same client gets a fresh allowance: %s", r.body)
}
