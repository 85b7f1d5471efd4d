package refserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

func TestChallenge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")

	t.Run("ok/authorized-shape", func(t *testing.T) {
		r := h.do("GET", "/api/v2/my/2fa/challenge", nil, bearerHdr(tok.AccessToken.Token)...)
		require.Equal(t, http.StatusOK, r.status)
		var m map[string]any
		r.decode(t, &m)
		require.Len(t, m, 2)
		require.NotEmpty(t, m["token"])
		exp, err := time.Parse(b2core.TimeLayout, m["expiresAt"].(string))
		require.NoError(t, err)
		require.True(t, h.clk.Now().Add(DefaultCodeTTL).Truncate(time.Second).Equal(exp))

		r = h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: m["token"].(string), Code: h.code(c.Email)}, bearerHdr(tok.AccessToken.Token)...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var st map[string]any
		r.decode(t, &st)
		require.Len(t, st, 2)
		require.NotEmpty(t, st["token"])
		exp, err = time.Parse(b2core.TimeLayout, st["expiresAt"].(string))
		require.NoError(t, err)
		require.True(t, h.clk.Now().Add(DefaultSuccessTokenTTL).Truncate(time.Second).Equal(exp))
	})
	t.Run("err/authorized-needs-bearer", func(t *testing.T) {
		h.do("GET", "/api/v2/my/2fa/challenge", nil).requireError(t, http.StatusUnauthorized)
	})
	t.Run("ok/unauthorized-unknown-email-same-answer", func(t *testing.T) {
		known := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+c.Email, nil)
		unknown := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email=ghost@authflow.test", nil)
		require.Equal(t, known.status, unknown.status)
		var a, b map[string]any
		known.decode(t, &a)
		unknown.decode(t, &b)
		require.Equal(t, a["expiresAt"], b["expiresAt"])
		require.Len(t, b["token"], len(a["token"].(string)))
		h.do("GET", "/__hooks/messages/latest?to=ghost@authflow.test", nil).requireError(t, http.StatusNotFound)
		// Completing it never works.
		h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: b["token"].(string), Code: "123456"}).requireError(t, http.StatusUnprocessableEntity)
	})
	t.Run("err/unauthorized-missing-email", func(t *testing.T) {
		h.do("GET", "/api/v2/my/2fa/unauthorized/challenge", nil).requireError(t, http.StatusUnprocessableEntity)
	})
	t.Run("err/wrong-codes-kill-confirmation", func(t *testing.T) {
		r := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+c.Email, nil)
		var conf b2core.ChallengeResponse
		r.decode(t, &conf)
		right := h.code(c.Email)
		wrong := map[bool]string{true: "111111", false: "000000"}[right == "000000"]
		for i := 0; i < 5; i++ {
			h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: wrong}).requireError(t, http.StatusUnprocessableEntity)
		}
		e := h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: right}).requireError(t, http.StatusUnprocessableEntity)
		require.Contains(t, e.Errors, "token")
	})
	t.Run("err/other-clients-bearer", func(t *testing.T) {
		other := h.login(h.client(), "")
		r := h.do("GET", "/api/v2/my/2fa/challenge", nil, bearerHdr(tok.AccessToken.Token)...)
		var conf b2core.ChallengeResponse
		r.decode(t, &conf)
		h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: h.code(c.Email)}, bearerHdr(other.AccessToken.Token)...).requireError(t, http.StatusForbidden)
		h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: h.code(c.Email)}, "Authorization", "Bearer nope").requireError(t, http.StatusUnauthorized)
	})
	t.Run("err/expired-confirmation", func(t *testing.T) {
		r := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+c.Email, nil)
		var conf b2core.ChallengeResponse
		r.decode(t, &conf)
		code := h.code(c.Email)
		h.clk.Advance(DefaultCodeTTL)
		h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: code}).requireError(t, http.StatusUnprocessableEntity)
	})
}

func TestPasswordChangeAndRestore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")
	bearer := bearerHdr(tok.AccessToken.Token)

	// Change: Bearer + successToken of the same client.
	st := h.successToken(tok.AccessToken.Token, c.Email)
	h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-1"}, bearer...).requireError(t, http.StatusForbidden)
	h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-1"}, "successToken", st).requireError(t, http.StatusUnauthorized)
	h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "short"}, append(bearer, "successToken", st)...).requireError(t, http.StatusUnprocessableEntity)
	r := h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-1"}, append(bearer, "successToken", st)...)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	require.Empty(t, r.body)
	// Single use.
	h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-2"}, append(bearer, "successToken", st)...).requireError(t, http.StatusForbidden)
	h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusUnauthorized)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, "Changed-1").status)

	t.Run("err/other-clients-success-token", func(t *testing.T) {
		o := h.client()
		ost := h.successToken("", o.Email)
		h.do("POST", "/api/v2/my/password/change", b2core.PasswordRequest{Password: "Changed-3"}, append(bearer, "successToken", ost)...).requireError(t, http.StatusForbidden)
		// It was left alone: its owner can still use it.
		r := h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-o"}, "successToken", ost)
		require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	})
	t.Run("err/expired-success-token", func(t *testing.T) {
		st := h.successToken("", c.Email)
		h.clk.Advance(DefaultSuccessTokenTTL)
		h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-x"}, "successToken", st).requireError(t, http.StatusForbidden)
	})

	// Restore: successToken of an unauthorized challenge.
	st = h.successToken("", c.Email)
	h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-1"}).requireError(t, http.StatusForbidden)
	h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-1"}, "successToken", "garbage").requireError(t, http.StatusForbidden)
	r = h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-1"}, "successToken", st)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: "Restored-2"}, "successToken", st).requireError(t, http.StatusForbidden)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, "Restored-1").status)

	// History: changed, then restored (newest first by default).
	r = h.do("GET", "/api/v2/my/password/changes", nil, bearer...)
	var list b2core.List[b2core.PasswordChange]
	r.decode(t, &list)
	require.Equal(t, 2, list.Total)
	require.Equal(t, []string{"restored", "changed"}, []string{list.Data[0].Type, list.Data[1].Type})
}

func TestPasswordPolicyLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"ok/8-chars", "abcdefgh", true},
		{"ok/128-runes", repeat("é", 128), true},
		{"err/7-chars", "abcdefg", false},
		{"err/129-chars", repeat("a", 129), false},
		{"err/invalid-utf8", "abcdefgh\xff", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkPasswordPolicy("password", tc.pw)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				require.NotContains(t, err.Error(), tc.pw)
			}
		})
	}
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }
