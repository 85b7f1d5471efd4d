package refserver

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/testhooks"
)

func TestHookCreateClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name      string
		body      any
		google    bool
		sms       bool
		resetFlag bool
	}{
		{"ok/empty-body", nil, false, false, false},
		{"ok/no-2fa", testhooks.CreateClientRequest{TwoFactor: []string{}}, false, false, false},
		{"ok/google", testhooks.CreateClientRequest{TwoFactor: []string{"google"}}, true, false, false},
		{"ok/sms", testhooks.CreateClientRequest{TwoFactor: []string{"sms"}}, false, true, false},
		{"ok/both", testhooks.CreateClientRequest{TwoFactor: []string{"google", "sms"}}, true, true, false},
		{"ok/reset-required", testhooks.CreateClientRequest{ResetRequired: true}, false, false, true},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/__hooks/clients", tc.body)
			require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
			var c testhooks.Client
			r.decode(t, &c)
			require.NotZero(t, c.ID)
			require.Regexp(t, `^u\d+-[0-9a-f]{8}@authflow\.test$`, c.Email)
			require.False(t, seen[c.Email])
			seen[c.Email] = true
			require.GreaterOrEqual(t, len(c.Password), 16)
			require.NotEmpty(t, c.Username)
			require.NotEmpty(t, c.ExternalID)
			require.Equal(t, tc.google, c.TOTPSecret != nil)
			require.Equal(t, tc.sms, c.Phone != nil)
			if c.TOTPSecret != nil {
				require.Regexp(t, `^[A-Z2-7]{32}$`, *c.TOTPSecret)
			} else {
				require.Contains(t, string(r.body), `"totpSecret":null`)
			}
			if c.Phone != nil {
				require.True(t, validE164(*c.Phone), *c.Phone)
			} else {
				require.Contains(t, string(r.body), `"phone":null`)
			}
			sr := h.signin(h.wizard(), c.Email, c.Password)
			switch {
			case tc.resetFlag:
				require.Contains(t, string(sr.body), `"reset_password_email"`)
			case tc.google || tc.sms:
				require.Contains(t, string(sr.body), `"workflow":"2fa"`)
			default:
				require.Equal(t, http.StatusAccepted, sr.status)
			}
		})
	}
	for _, body := range []string{`{"twoFactor":["email"]}`, `{"twoFactor":["sms","sms"]}`, `{"twoFactor":"google"}`, `{"twoFactor":`} {
		t.Run("err/"+body, func(t *testing.T) {
			r := h.do("POST", "/__hooks/clients", raw(body))
			require.Contains(t, []int{400, 422}, r.status, "%s", r.body)
		})
	}
}

func TestHookMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client("sms")
	h.do("GET", "/__hooks/messages/latest", nil).requireError(t, http.StatusBadRequest)
	h.do("GET", "/__hooks/messages/latest?to="+c.Email, nil).requireError(t, http.StatusNotFound)

	uuid := h.wizard()
	h.signin(uuid, c.Email, c.Password)
	h.do("POST", "/api/v2/my/signin/2fa", map[string]string{"uuid": uuid, "type": "sms"})
	for _, to := range []string{urlQueryEscape(*c.Phone), *c.Phone /* '+' unescaped: a space */, strings.TrimPrefix(*c.Phone, "+")} {
		r := h.do("GET", "/__hooks/messages/latest?to="+to, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var m testhooks.Message
		r.decode(t, &m)
		require.Equal(t, *c.Phone, m.To)
		require.Equal(t, "sms", m.Channel)
		require.Regexp(t, regexp.MustCompile(`^\d{6}$`), m.Code)
		sent, err := time.Parse(time.RFC3339Nano, m.SentAt)
		require.NoError(t, err)
		require.True(t, sent.Equal(h.clk.Now()))
	}
	// Sub-second precision: a later message is told apart.
	first := h.code(*c.Phone)
	h.clk.Advance(250 * time.Millisecond)
	h.srv.sendCode(channelSMS, *c.Phone, purposeSignIn2FA, "x")
	r := h.do("GET", "/__hooks/messages/latest?to="+urlQueryEscape(*c.Phone), nil)
	var m testhooks.Message
	r.decode(t, &m)
	require.Contains(t, m.SentAt, ".25Z")
	_ = first

	// Email messages, keyed case-insensitively.
	h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+c.Email, nil)
	r = h.do("GET", "/__hooks/messages/latest?to="+strings.ToUpper(c.Email), nil)
	r.decode(t, &m)
	require.Equal(t, "email", m.Channel)
	require.Equal(t, c.Email, m.To)
}

func TestHookPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("GET", "/__hooks/policy", nil)
	require.JSONEq(t, `{"signin":{"attempts":5,"windowSeconds":60,"blockSeconds":600},"refresh":{"attempts":5,"windowSeconds":60,"blockSeconds":600}}`, string(r.body))
	next := `{"signin":{"attempts":3,"windowSeconds":10,"blockSeconds":5},"refresh":{"attempts":100,"windowSeconds":1,"blockSeconds":2}}`
	r = h.do("PUT", "/__hooks/policy", raw(next))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.JSONEq(t, next, string(r.body))
	require.JSONEq(t, next, string(h.do("GET", "/__hooks/policy", nil).body))
	for _, bad := range []string{
		`{"signin":{"attempts":0,"windowSeconds":10,"blockSeconds":5},"refresh":{"attempts":1,"windowSeconds":1,"blockSeconds":1}}`,
		`{"signin":{"attempts":-1,"windowSeconds":10,"blockSeconds":5},"refresh":{"attempts":1,"windowSeconds":1,"blockSeconds":1}}`,
		`{"signin":{"attempts":1.5,"windowSeconds":10,"blockSeconds":5},"refresh":{"attempts":1,"windowSeconds":1,"blockSeconds":1}}`,
		`{"signin":{"attempts":"3","windowSeconds":10,"blockSeconds":5},"refresh":{"attempts":1,"windowSeconds":1,"blockSeconds":1}}`,
		`{"signin":{"attempts":3,"windowSeconds":10,"blockSeconds":5}}`,
		`{}`, `[]`, `{"signin":`,
	} {
		h.do("PUT", "/__hooks/policy", raw(bad)).requireError(t, http.StatusBadRequest)
	}
	require.JSONEq(t, next, string(h.do("GET", "/__hooks/policy", nil).body), "unchanged by bad PUTs")
}

func TestHooksOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.DisableHooks = true })
	require.False(t, h.srv.HooksEnabled())
	for _, rq := range [][2]string{{"POST", "/__hooks/clients"}, {"GET", "/__hooks/messages/latest?to=x"}, {"POST", "/__hooks/clients/1/reset-required"}, {"GET", "/__hooks/policy"}, {"PUT", "/__hooks/policy"}} {
		h.do(rq[0], rq[1], nil).requireError(t, http.StatusNotFound)
	}
}
