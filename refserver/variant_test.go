package refserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

func withVariant(v string) func(*Config) { return func(c *Config) { c.Variant = v } }

// statusOf is a probe that answers with the status of one call.
func statusOf(r response) string { return http.StatusText(r.status) }

// finalAnswer is the HTTP status, the body's code and done of a wizard's
// final answer.
func finalAnswer(h *harness, r response) string {
	var w b2core.Wizard[json.RawMessage]
	r.decode(h.t, &w)
	return fmt.Sprint(statusOf(r), " ", w.Code, " ", w.Done)
}

// variantAPI is the B2Core prefix the probes call.
const variantAPI = "/api/v2/my"

// variantCase is one behaviour of Variants(): a probe that answers with
// what it saw, and what each personality must show.
type variantCase struct {
	name          string
	probe         func(h *harness) string
	def, alt      string
	altMustDiffer bool
}

// variantCases probe the behaviours of Variants().
var variantCases = []variantCase{
	{"wrong password", func(h *harness) string {
		c := h.client()
		return statusOf(h.signin(h.wizard(), c.Email, "wrong-password"))
	}, "Unauthorized", "Unprocessable Entity", true},
	{"unknown email", func(h *harness) string {
		return statusOf(h.signin(h.wizard(), "nobody@authflow.test", "wrong-password"))
	}, "Unauthorized", "Unprocessable Entity", true},
	{"missing field", func(h *harness) string {
		return statusOf(h.do("POST", variantAPI+"/signin", map[string]string{"uuid": h.wizard()}))
	}, "Unprocessable Entity", "Bad Request", true},
	{"malformed JSON", func(h *harness) string {
		return statusOf(h.do("POST", variantAPI+"/signin", raw(`{"uuid":`)))
	}, "Bad Request", "Unprocessable Entity", true},
	{"wrong TOTP code", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle)
		uuid := h.wizard()
		h.signin(uuid, c.Email, c.Password)
		h.do("POST", variantAPI+"/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: b2core.ProviderGoogle})
		return statusOf(h.do("POST", variantAPI+"/2fa/google", b2core.CodeRequest{UUID: uuid, Code: "000000"}))
	}, "Unprocessable Entity", "Bad Request", true},
	{"wrong step", func(h *harness) string {
		return statusOf(h.do("POST", variantAPI+"/2fa/google", b2core.CodeRequest{UUID: h.wizard(), Code: "123456"}))
	}, "Conflict", "Unprocessable Entity", true},
	{"unknown wizard", func(h *harness) string {
		return statusOf(h.signin("00000000-0000-4000-8000-000000000000", "a@authflow.test", "password1"))
	}, "Unprocessable Entity", "Bad Request", true},
	{"enable an enabled method", func(h *harness) string {
		tok := h.login(h.client(b2core.ProviderGoogle), "")
		return statusOf(h.do("GET", variantAPI+"/2fa/google/enable/wizard", nil, bearerHdr(tok.AccessToken.Token)...))
	}, "Conflict", "Unprocessable Entity", true},
	{"unknown 2FA method", func(h *harness) string {
		tok := h.login(h.client(), "")
		return statusOf(h.do("GET", variantAPI+"/2fa/email", nil, bearerHdr(tok.AccessToken.Token)...))
	}, "Not Found", "Bad Request", true},
	{"bad success token", func(h *harness) string {
		return statusOf(h.do("POST", variantAPI+"/password/restore", map[string]string{"password": "Qwerty12345"}, "successToken", "nope"))
	}, "Forbidden", "Unprocessable Entity", true},
	{"bad refresh token", func(h *harness) string {
		return statusOf(h.do("POST", variantAPI+"/refresh", b2core.RefreshRequest{RefreshToken: "nope"}))
	}, "Unauthorized", "Bad Request", true},
	{"missing bearer stays 401", func(h *harness) string {
		return statusOf(h.do("GET", variantAPI+"/2fa", nil))
	}, "Unauthorized", "Unauthorized", false},
	{"password change answer", func(h *harness) string {
		c := h.client()
		tok := h.login(c, "")
		st := h.successToken(tok.AccessToken.Token, c.Email)
		r := h.do("POST", variantAPI+"/password/change", map[string]string{"password": "Qwerty12345"},
			append(bearerHdr(tok.AccessToken.Token), "successToken", st)...)
		return statusOf(r) + " " + string(r.body)
	}, "No Content ", "OK ", true},
	{"sign-out answer", func(h *harness) string {
		tok := h.login(h.client(), "")
		r := h.do("POST", variantAPI+"/signout", nil, bearerHdr(tok.AccessToken.Token)...)
		return statusOf(r) + " " + string(r.body)
	}, "OK ", "OK {}", true},
	{"success token field", func(h *harness) string {
		c := h.client()
		tok := h.login(c, "")
		r := h.do("GET", variantAPI+"/2fa/challenge", nil, bearerHdr(tok.AccessToken.Token)...)
		var conf b2core.ChallengeResponse
		r.decode(h.t, &conf)
		r = h.do("POST", variantAPI+"/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: h.code(c.Email)}, bearerHdr(tok.AccessToken.Token)...)
		var fields map[string]any
		r.decode(h.t, &fields)
		_, hasToken := fields["token"]
		_, hasSuccess := fields["successToken"]
		return map[[2]bool]string{{true, false}: "token", {false, true}: "successToken"}[[2]bool{hasToken, hasSuccess}]
	}, "token", "successToken", true},
	{"phone of a client without SMS", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle)
		return map[bool]string{true: "phone", false: "none"}[c.Phone != nil]
	}, "none", "phone", true},
	{"provider order", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle, b2core.ProviderSMS)
		r := h.signin(h.wizard(), c.Email, c.Password)
		var w b2core.Wizard[b2core.SignInData]
		r.decode(h.t, &w)
		var names []string
		for _, p := range w.Data.TFAProviders {
			names = append(names, p.Name)
		}
		return strings.Join(names, ",")
	}, "sms,google", "google,sms", true},
	{"GET 2fa order", func(h *harness) string {
		tok := h.login(h.client(), "")
		r := h.do("GET", variantAPI+"/2fa", nil, bearerHdr(tok.AccessToken.Token)...)
		var l struct{ Data []b2core.TFAStatus }
		r.decode(h.t, &l)
		require.Len(h.t, l.Data, 2)
		return l.Data[0].Name + "," + l.Data[1].Name
	}, "sms,google", "google,SMS", true},
	{"GET 2fa/sms keeps the lower-case name", func(h *harness) string {
		tok := h.login(h.client(), "")
		var m b2core.TFAStatus
		h.do("GET", variantAPI+"/2fa/sms", nil, bearerHdr(tok.AccessToken.Token)...).decode(h.t, &m)
		return m.Name
	}, "sms", "sms", false},
	{"final sign-in answer", func(h *harness) string {
		c := h.client()
		return finalAnswer(h, h.signin(h.wizard(), c.Email, c.Password))
	}, "Accepted 202 true", "OK 202 true", true},
	{"final 2FA answer", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle)
		uuid := h.wizard()
		h.signin(uuid, c.Email, c.Password)
		h.do("POST", variantAPI+"/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: b2core.ProviderGoogle})
		h.nextStep()
		return finalAnswer(h, h.do("POST", variantAPI+"/2fa/google", b2core.CodeRequest{UUID: uuid, Code: h.totp(*c.TOTPSecret, 0)}))
	}, "Accepted 202 true", "OK 202 true", true},
	{"tokens at workflow 2fa", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle)
		r := h.signin(h.wizard(), c.Email, c.Password)
		var w struct{ Data map[string]json.RawMessage }
		r.decode(h.t, &w)
		return string(w.Data["accessToken"])
	}, "{}", "null", true},
	{"QR location", func(h *harness) string {
		var ch map[string]json.RawMessage
		h.do("GET", variantAPI+"/signin/qrcodes", nil).decode(h.t, &ch)
		return string(ch["location"])
	}, "null", `"Loopback"`, true},
	{"timestamp form", func(h *harness) string {
		tok := h.login(h.client(), "")
		_, err := time.Parse(time.RFC3339, tok.AccessToken.ExpiresAt)
		require.NoError(h.t, err, "RFC 3339")
		return tok.AccessToken.ExpiresAt[len(tok.AccessToken.ExpiresAt)-5:]
	}, "00:00", ".000Z", true},
	{"disable wizard first answer", func(h *harness) string {
		tok := h.login(h.client(b2core.ProviderGoogle), "")
		var w b2core.Wizard[json.RawMessage]
		h.do("GET", variantAPI+"/2fa/google/disable/wizard", nil, bearerHdr(tok.AccessToken.Token)...).decode(h.t, &w)
		return fmt.Sprint(w.Done, " ", w.Workflow)
	}, "false 2fa_google", "true 2fa_google", true},
	{"last 2FA wizard data", func(h *harness) string {
		c := h.client(b2core.ProviderGoogle)
		tok := h.login(c, "")
		var w b2core.Wizard[json.RawMessage]
		h.do("GET", variantAPI+"/2fa/google/disable/wizard", nil, bearerHdr(tok.AccessToken.Token)...).decode(h.t, &w)
		h.nextStep()
		r := h.do("POST", variantAPI+"/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(*c.TOTPSecret, 0)}, bearerHdr(tok.AccessToken.Token)...)
		var last struct{ Data json.RawMessage }
		r.decode(h.t, &last)
		return statusOf(r) + " " + string(last.Data)
	}, "Accepted []", "OK null", true},
	{"history order without sort_order", func(h *harness) string {
		c := h.client()
		tok := h.login(c, "")
		for range 2 {
			st := h.successToken(tok.AccessToken.Token, c.Email)
			h.do("POST", variantAPI+"/password/change", map[string]string{"password": "Qwerty12345"},
				append(bearerHdr(tok.AccessToken.Token), "successToken", st)...)
		}
		var l struct{ Data []b2core.PasswordChange }
		h.do("GET", variantAPI+"/password/changes", nil, bearerHdr(tok.AccessToken.Token)...).decode(h.t, &l)
		require.Len(h.t, l.Data, 2)
		return fmt.Sprint(l.Data[0].ID < l.Data[1].ID)
	}, "false", "true", true},
	{"Capillary wrong password", func(h *harness) string {
		c := h.client()
		return statusOf(h.do("POST", "/auth/v1/mfa/password/validate", map[string]string{
			"identifierType": "EMAIL", "identifierValue": c.Email, "deviceId": "d1", "brand": "b", "password": "wrong-password"}))
	}, "Unauthorized", "Bad Request", true},
}

// Each behaviour of Variants() answered by both personalities: the default
// one as before, the alt one with the other legal answer.
func TestVariantBehaviours(t *testing.T) {
	t.Parallel()
	for _, c := range variantCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			def := c.probe(newHarness(t))
			alt := c.probe(newHarness(t, withVariant(VariantAlt)))
			assert.Equal(t, c.def, def, "default")
			assert.Equal(t, c.alt, alt, "alt")
			if c.altMustDiffer {
				assert.NotEqual(t, def, alt)
			}
		})
	}
}

// Both personalities keep the error body's shape, and every 4xx is a 4xx.
func TestVariantErrorBodies(t *testing.T) {
	t.Parallel()
	for _, v := range []string{VariantDefault, VariantAlt} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withVariant(v))
			r := h.do("POST", "/api/v2/my/signin", map[string]string{"uuid": h.wizard()})
			e := r.requireError(t, r.status)
			assert.Contains(t, e.Errors, "password", "field errors are kept")
			assert.GreaterOrEqual(t, r.status, 400)
		})
	}
}

// The lockout keeps its 429 and a correct Retry-After in both.
func TestVariantLockoutRetryAfter(t *testing.T) {
	t.Parallel()
	for _, v := range []string{VariantDefault, VariantAlt} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withVariant(v), withPolicy(testhooks.Limit{Attempts: 2, WindowSeconds: 60, BlockSeconds: 90}, testhooks.Limit{}))
			c := h.client()
			for range 2 {
				r := h.signin(h.wizard(), c.Email, "wrong-password")
				require.GreaterOrEqual(t, r.status, 400)
				require.Less(t, r.status, 500)
			}
			r := h.signin(h.wizard(), c.Email, c.Password)
			r.requireError(t, http.StatusTooManyRequests)
			assert.Equal(t, "90", r.header.Get("Retry-After"))
		})
	}
}

// Load-test users of the alt personality all have a phone, in the users
// file the server writes too; twoFactor still says what is enabled: a user
// without 2FA signs in at once, and a Google user with a phone is offered
// Google only and cannot choose SMS.
func TestVariantUsersEveryPhone(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "users.json")
	h := newHarness(t, withVariant(VariantAlt), func(c *Config) { c.Users = UsersConfig{Count: 8, File: file, Mix: Mix{None: 1, Google: 1}} })
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var users []LoadUser
	require.NoError(t, json.Unmarshal(b, &users))
	require.Len(t, users, 8)
	kinds := map[string]bool{}
	for _, u := range users {
		require.NotNil(t, u.Phone, "user %d", u.ID)
		assert.NotContains(t, u.TwoFactor, b2core.ProviderSMS)
		kind := "none"
		if len(u.TwoFactor) > 0 {
			kind = u.TwoFactor[0]
		}
		if kinds[kind] {
			continue
		}
		kinds[kind] = true
		uuid := h.wizard()
		r := h.signin(uuid, u.Email, u.Password)
		var w b2core.Wizard[b2core.SignInData]
		r.decode(t, &w)
		if kind == "none" {
			assert.True(t, w.Done, "a user without 2FA signs in at once: %s", r.body)
			continue
		}
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.False(t, w.Done, "%s", r.body)
		for _, p := range w.Data.TFAProviders {
			assert.Equal(t, p.Name == b2core.ProviderGoogle, p.Enabled, "%s: only Google is enabled, phone or not", p.Name)
		}
		r = h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuid, Type: b2core.ProviderSMS})
		assert.GreaterOrEqual(t, r.status, 400, "SMS is not enabled for a Google user with a phone")
	}
	assert.Equal(t, map[string]bool{"none": true, b2core.ProviderGoogle: true}, kinds)
}

func TestParseVariant(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": VariantDefault, "default": VariantDefault, "ALT": VariantAlt, " alt ": VariantAlt} {
		got, err := ParseVariant(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	_, err := ParseVariant("evil")
	assert.ErrorContains(t, err, `unknown variant "evil"`)
	_, err = New(Config{Variant: "evil"})
	assert.Error(t, err)
	assert.NotEmpty(t, Variants())
}

// README's table of the personalities has one row per behaviour of
// Variants(): a difference added on one side only fails here.
func TestVariantsDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "| behaviour | default | alt |\n| --- | --- | --- |\n")
	require.True(t, ok, "README has no table of the server personalities")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") {
			break
		}
		rows++
	}
	assert.Equal(t, len(Variants()), rows, "rows of README's personalities table vs Variants()")
}
