package refserver

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// The time-window defects, on the fake clock (default policy 5 / 60 s /
// 600 s for sign-in and refresh); lockout_test.go proves the correct
// behaviour.
var windowDefectCases = map[string]func(t *testing.T, h *harness){
	DefectWindowSticky: func(t *testing.T, h *harness) {
		c := h.client()
		for range 4 {
			h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
		}
		h.clk.Advance(61 * time.Second)
		h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
		h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusTooManyRequests)

		tok := h.login(h.client(), "")
		for range 4 {
			r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			r.decode(t, &tok)
		}
		h.clk.Advance(61 * time.Second)
		r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		r.decode(t, &tok)
		r = h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		require.Equal(t, http.StatusTooManyRequests, r.status, "the sixth refresh counts the first four, long out of the window")
	},
	DefectBlockShort: func(t *testing.T, h *harness) {
		c := h.client()
		for range 5 {
			h.signin(h.wizard(), c.Email, "wrong")
		}
		h.clk.Advance(301 * time.Second)
		require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
	},
	DefectRetryAfterFullBlock: func(t *testing.T, h *harness) {
		c := h.client()
		for range 5 {
			h.signin(h.wizard(), c.Email, "wrong")
		}
		h.clk.Advance(500 * time.Second)
		r := h.signin(h.wizard(), c.Email, c.Password)
		r.requireError(t, http.StatusTooManyRequests)
		require.Equal(t, "600", r.header.Get("Retry-After"), "100 s are left")
	},
}
