package b2core_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

const api = "/api/v2/my"

// codeLog is a CodeSource that answers testCode and remembers the queries.
type codeLog struct {
	mu  sync.Mutex
	qs  []b2core.CodeQuery
	err error
}

func (l *codeLog) Code(_ context.Context, q b2core.CodeQuery) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.qs = append(l.qs, q)
	if l.err != nil {
		return "", l.err
	}
	return testCode, nil
}

func (l *codeLog) queries() []b2core.CodeQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.qs)
}

func wizardJSON(code int, done bool, workflow string) string {
	b, _ := json.Marshal(map[string]any{"code": code, "data": nil, "done": done, "uuid": testUUID, "workflow": workflow})
	return string(b)
}

// docRoutes serves the documents' examples on every route a flow takes,
// but where over names another handler.
func docRoutes(t *testing.T, over map[string]http.HandlerFunc) map[string]http.HandlerFunc {
	routes := map[string]http.HandlerFunc{
		"GET " + api + "/signin/wizard":              reply(200, example(t, "signin_wizard")),
		"POST " + api + "/signin":                    reply(200, example(t, "signin_login")),
		"POST " + api + "/signin/2fa":                reply(200, example(t, "signin_2fa_choose_google")),
		"POST " + api + "/2fa/google":                reply(200, example(t, "2fa_google")),
		"POST " + api + "/2fa/sms":                   reply(200, example(t, "2fa_sms")),
		"POST " + api + "/signin/password/restore":   reply(200, example(t, "signin_password_restore")),
		"POST " + api + "/signin/password/reset":     reply(200, example(t, "signin_password_reset")),
		"POST " + api + "/refresh":                   reply(200, example(t, "refresh")),
		"POST " + api + "/signout":                   reply(200, ``),
		"GET " + api + "/2fa/challenge":              reply(200, challengeStart),
		"GET " + api + "/2fa/unauthorized/challenge": reply(200, challengeStart),
		"POST " + api + "/2fa/challenge":             reply(200, example(t, "challenge_complete")),
		"POST " + api + "/password/change":           reply(200, ``),
		"POST " + api + "/password/restore":          reply(204, ``),
		"GET " + api + "/2fa/google/enable/wizard":   reply(200, example(t, "2fa_enable_wizard_google")),
		"GET " + api + "/2fa/sms/enable/wizard":      reply(200, example(t, "2fa_enable_wizard_sms")),
		"GET " + api + "/2fa/google/disable/wizard":  reply(200, example(t, "2fa_disable_wizard")),
		"GET " + api + "/2fa/sms/disable/wizard":     reply(200, wizardJSON(200, false, "2fa_sms")),
		"POST " + api + "/2fa/wizard":                reply(200, example(t, "2fa_wizard_google_enabled")),
		"GET " + api + "/signin/qrcodes":             reply(200, example(t, "qr_channel")),
		"POST " + api + "/signin/tokens":             reply(200, `{"authorizationToken": "auth-SECRET-token"}`),
		"POST " + api + "/signin/qrcodes":            reply(200, example(t, "qr_signin")),
	}
	maps.Copy(routes, over)
	return routes
}

func decodeBody[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

func TestSignInFlow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111109, 0)
	smsChosen := wizardJSON(200, false, b2core.Workflow2FASMSAuth)
	cases := []struct {
		name      string
		routes    map[string]http.HandlerFunc
		cred      b2core.Credentials
		noCodes   bool
		codesErr  error
		outcome   b2core.Outcome // "" means success
		errStep   string
		reason    string
		check     func(t *testing.T, f *fakeAPI, s *b2core.Session, codes []b2core.CodeQuery, reqs []b2core.Request)
		startTime time.Time
	}{
		{name: "ok/direct_login", cred: b2core.Credentials{Email: testEmail, Password: testPassword},
			check: func(t *testing.T, f *fakeAPI, s *b2core.Session, _ []b2core.CodeQuery, reqs []b2core.Request) {
				assert.Contains(t, s.AccessToken, "eyJ0eXAi")
				assert.NotEmpty(t, s.RefreshToken)
				assert.Equal(t, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), s.AccessExpiresAt.UTC())
				require.Len(t, reqs, 2)
				assert.Equal(t, []string{"signin_wizard", "signin"}, []string{reqs[0].Step, reqs[1].Step})
				for _, r := range reqs {
					assert.Equal(t, b2core.FlowSignIn, r.Flow)
				}
				body := decodeBody[b2core.SignInRequest](t, f.body("POST "+api+"/signin", 0))
				assert.Equal(t, b2core.SignInRequest{UUID: testUUID, Email: testEmail, Password: testPassword, DeviceFingerprint: b2core.DeviceFingerprint("")}, body)
			}},
		{name: "ok/google_2fa", cred: b2core.Credentials{Email: testEmail, Password: testPassword, TOTPSecret: rfcSecret},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa"))},
			check: func(t *testing.T, f *fakeAPI, s *b2core.Session, codes []b2core.CodeQuery, reqs []b2core.Request) {
				assert.Empty(t, codes)
				assert.Equal(t, b2core.SignIn2FARequest{UUID: testUUID, Type: "google"}, decodeBody[b2core.SignIn2FARequest](t, f.body("POST "+api+"/signin/2fa", 0)))
				assert.Equal(t, b2core.CodeRequest{UUID: testUUID, Code: "081804"}, decodeBody[b2core.CodeRequest](t, f.body("POST "+api+"/2fa/google", 0)))
				require.Len(t, reqs, 4)
				assert.Equal(t, "2fa_google", reqs[3].Step)
				assert.Equal(t, "POST /api/v2/my/2fa/google", reqs[3].Name)
				assert.NotEmpty(t, s.AccessToken)
			}},
		{name: "ok/sms_2fa_declared_by_twoFactor", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TOTPSecret: rfcSecret, TwoFactor: []string{"sms"}},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa")), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			check: func(t *testing.T, f *fakeAPI, s *b2core.Session, codes []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, "sms", decodeBody[b2core.SignIn2FARequest](t, f.body("POST "+api+"/signin/2fa", 0)).Type)
				require.Len(t, codes, 1)
				assert.Equal(t, testPhone, codes[0].To)
				assert.Equal(t, "sms", codes[0].Channel)
				assert.False(t, codes[0].Since.IsZero())
				assert.Equal(t, testCode, decodeBody[b2core.CodeRequest](t, f.body("POST "+api+"/2fa/sms", 0)).Code)
			}},
		{name: "ok/method_sms_over_secret", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TOTPSecret: rfcSecret, Method: "sms"},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa")), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, 1, f.count("POST "+api+"/2fa/sms"))
				assert.Equal(t, 0, f.count("POST "+api+"/2fa/google"))
			}},
		{name: "ok/google_only_enabled_prefers_google", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TOTPSecret: rfcSecret},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, `{"code":200,"data":{"accessToken":{},"refreshToken":{},"tfaProviders":[{"name":"sms","enabled":false},{"name":"google","enabled":true}]},"done":false,"uuid":"`+testUUID+`","workflow":"2fa"}`)},
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, 1, f.count("POST "+api+"/2fa/google"))
			}},
		{name: "ok/server_enables_sms_only_over_declared_google", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TOTPSecret: rfcSecret, TwoFactor: []string{"google"}},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, twoFA(`{"name":"google","enabled":false},{"name":"sms","enabled":true}`)), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, 1, f.count("POST "+api+"/2fa/sms"))
			}},
		{name: "ok/none_enabled_uses_declared_sms", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TwoFactor: []string{"sms"}},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, twoFA(``)), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, 1, f.count("POST "+api+"/2fa/sms"))
			}},
		{name: "err/google_enabled_user_has_only_a_phone", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, twoFA(`{"name":"sms","enabled":false},{"name":"google","enabled":true}`))},
			outcome: b2core.OutcomeFailure, errStep: "2fa_google",
			reason: `the server asks for Google Authenticator (tfaProviders: ["google"]) but the user has no totpSecret`,
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, 0, f.count("POST "+api+"/signin/2fa"), "nothing sent down a path the server did not offer")
			}},
		{name: "err/method_not_enabled", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, Method: "sms"},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, twoFA(`{"name":"sms","enabled":false},{"name":"google","enabled":true}`))},
			outcome: b2core.OutcomeFailure, errStep: "signin_2fa",
			reason: `the method sms was asked for but the server did not enable it for this user (tfaProviders: ["google"])`},
		{name: "err/none_enabled_none_declared", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TOTPSecret: rfcSecret},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, twoFA(``))},
			outcome: b2core.OutcomeFailure, errStep: "signin_2fa", reason: "enable no method"},
		{name: "ok/reset_password_email", cred: b2core.Credentials{Email: testEmail, Password: testPassword, NewPassword: testNewPass},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": sequence(reply(200, wizardJSON(200, false, "reset_password_email")), reply(200, example(t, "signin_login")))},
			check: func(t *testing.T, f *fakeAPI, s *b2core.Session, codes []b2core.CodeQuery, reqs []b2core.Request) {
				require.Len(t, codes, 1)
				assert.Equal(t, b2core.CodeQuery{To: testEmail, Channel: "email", Since: codes[0].Since}, codes[0])
				assert.Equal(t, b2core.SignInRestoreRequest{UUID: testUUID, Action: "code", Code: testCode},
					decodeBody[b2core.SignInRestoreRequest](t, f.body("POST "+api+"/signin/password/restore", 0)))
				assert.Equal(t, b2core.SignInResetRequest{Password: testNewPass, PasswordConfirmation: testNewPass, UUID: testUUID},
					decodeBody[b2core.SignInResetRequest](t, f.body("POST "+api+"/signin/password/reset", 0)))
				assert.Equal(t, 2, f.count("GET "+api+"/signin/wizard"), "a fresh wizard after the reset")
				assert.Equal(t, testNewPass, decodeBody[b2core.SignInRequest](t, f.body("POST "+api+"/signin", 1)).Password)
				steps := []string{}
				for _, r := range reqs {
					steps = append(steps, r.Step)
				}
				assert.Equal(t, []string{"signin_wizard", "signin", "signin_password_restore", "signin_password_reset", "signin_wizard", "signin"}, steps)
				assert.NotEmpty(t, s.AccessToken)
			}},
		{name: "err/reset_without_new_password", cred: b2core.Credentials{Email: testEmail, Password: testPassword},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, wizardJSON(200, false, "reset_password_email"))},
			outcome: b2core.OutcomeFailure, errStep: "signin_password_restore", reason: "no newPassword was given",
			check: func(t *testing.T, f *fakeAPI, _ *b2core.Session, codes []b2core.CodeQuery, _ []b2core.Request) {
				assert.Empty(t, codes, "no code spent")
				assert.Equal(t, 0, f.count("POST "+api+"/signin/password/restore"))
			}},
		{name: "err/reset_asked_twice", cred: b2core.Credentials{Email: testEmail, Password: testPassword, NewPassword: testNewPass},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, wizardJSON(200, false, "reset_password_email"))},
			outcome: b2core.OutcomeFailure, errStep: "signin", reason: "password reset again"},
		{name: "err/sms_without_code_source", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TwoFactor: []string{"sms"}}, noCodes: true,
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa")), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			outcome: b2core.OutcomeFailure, errStep: "2fa_sms", reason: "no code source configured for the sms code"},
		{name: "err/sms_without_phone", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Method: "sms"},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa"))},
			outcome: b2core.OutcomeFailure, errStep: "2fa_sms", reason: "the method sms was asked for but the user has no phone to read the code for"},
		{name: "err/google_without_secret", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Method: "google"},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa"))},
			outcome: b2core.OutcomeFailure, errStep: "2fa_google", reason: "the method google was asked for but the user has no totpSecret"},
		{name: "err/bad_totp_secret", cred: b2core.Credentials{Email: testEmail, Password: testPassword, TOTPSecret: "not base32!"},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa"))},
			outcome: b2core.OutcomeFailure, errStep: "2fa_google", reason: "the user's totpSecret is not valid base32"},
		{name: "err/code_source_fails", cred: b2core.Credentials{Email: testEmail, Password: testPassword, Phone: testPhone, TwoFactor: []string{"sms"}}, codesErr: b2core.ErrCodeTimeout,
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa")), "POST " + api + "/signin/2fa": reply(200, smsChosen)},
			outcome: b2core.OutcomeFailure, errStep: "2fa_sms", reason: "no sms code"},
		{name: "err/lockout", cred: b2core.Credentials{Email: testEmail, Password: testPassword},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "600")
				reply(429, `{"code":429,"message":"blocked"}`)(w, r)
			}},
			outcome: b2core.OutcomeLockout, errStep: "signin", reason: "locked out (retry after 10m0s): blocked"},
		{name: "err/wrong_password", cred: b2core.Credentials{Email: testEmail, Password: testPassword},
			routes:  map[string]http.HandlerFunc{"POST " + api + "/signin": reply(400, `{"code":400,"message":"Invalid credentials"}`)},
			outcome: b2core.OutcomeRejected, errStep: "signin", reason: "rejected: Invalid credentials"},
		{name: "err/otp_rejected", cred: b2core.Credentials{Email: testEmail, Password: testPassword, TOTPSecret: rfcSecret},
			routes: map[string]http.HandlerFunc{"POST " + api + "/signin": reply(200, example(t, "signin_2fa")),
				"POST " + api + "/2fa/google": reply(422, `{"code":422,"message":"Invalid code 081804"}`)},
			outcome: b2core.OutcomeOTPRejected, errStep: "2fa_google", reason: "code rejected: Invalid code ***"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, docRoutes(t, tc.routes))
			codes := &codeLog{err: tc.codesErr}
			cfg := b2core.Config{Codes: codes, Now: func() time.Time { return now }}
			if tc.noCodes {
				cfg.Codes = nil
			}
			c, rec := newClient(f, cfg, 0)
			s, err := c.SignInFlow(t.Context(), tc.cred)
			if tc.outcome != "" {
				se := stepErr(t, err)
				assert.Equal(t, tc.outcome, se.Outcome, se.Error())
				assert.Equal(t, b2core.FlowSignIn, se.Flow)
				assert.Equal(t, tc.errStep, se.Step)
				assert.Contains(t, se.Reason, tc.reason)
				if tc.codesErr != nil {
					assert.ErrorIs(t, err, tc.codesErr)
				}
			} else {
				require.NoError(t, err)
				require.NotNil(t, s)
			}
			if tc.check != nil {
				tc.check(t, f, s, codes.queries(), rec.All())
			}
		})
	}
}

func TestOtherFlows(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111109, 0)
	session := func() *b2core.Session {
		return &b2core.Session{ClientID: 7, AccessToken: testAccess, RefreshToken: testRefresh}
	}
	cases := []struct {
		name    string
		routes  map[string]http.HandlerFunc
		run     func(ctx context.Context, c *b2core.Client) (any, error)
		flow    string
		steps   []string
		outcome b2core.Outcome
		reason  string
		check   func(t *testing.T, f *fakeAPI, v any, codes []b2core.CodeQuery, reqs []b2core.Request)
	}{
		{name: "ok/refresh_rotates_in_place", flow: b2core.FlowRefresh, steps: []string{"refresh"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				s := session()
				return s, c.RefreshFlow(ctx, s)
			},
			check: func(t *testing.T, f *fakeAPI, v any, _ []b2core.CodeQuery, _ []b2core.Request) {
				s := v.(*b2core.Session)
				assert.Contains(t, s.AccessToken, "wyJ0eXAi")
				assert.NotEqual(t, testRefresh, s.RefreshToken)
				assert.Equal(t, int64(7), s.ClientID)
				assert.Equal(t, testRefresh, decodeBody[b2core.RefreshRequest](t, f.body("POST "+api+"/refresh", 0)).RefreshToken)
			}},
		{name: "err/refresh_rate_limited", flow: b2core.FlowRefresh, outcome: b2core.OutcomeRateLimited, reason: "rate limited (retry after 30s)",
			routes: map[string]http.HandlerFunc{"POST " + api + "/refresh": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "30")
				reply(429, ``)(w, r)
			}},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				s := session()
				return s, c.RefreshFlow(ctx, s)
			},
			check: func(t *testing.T, _ *fakeAPI, v any, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, testRefresh, v.(*b2core.Session).RefreshToken, "unchanged on failure")
			}},
		{name: "err/refresh_no_session", flow: b2core.FlowRefresh, outcome: b2core.OutcomeFailure, reason: "no session",
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return nil, c.RefreshFlow(ctx, nil) }},
		{name: "ok/signout", flow: b2core.FlowSignOut, steps: []string{"signout"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return nil, c.SignOutFlow(ctx, session()) }},
		{name: "err/signout_401", flow: b2core.FlowSignOut, outcome: b2core.OutcomeRejected, reason: "access token refused",
			routes: map[string]http.HandlerFunc{"POST " + api + "/signout": reply(401, ``)},
			run:    func(ctx context.Context, c *b2core.Client) (any, error) { return nil, c.SignOutFlow(ctx, session()) }},
		{name: "ok/challenge_authorized", flow: b2core.FlowChallenge, steps: []string{"challenge_start", "challenge_complete"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.ChallengeFlow(ctx, session(), testEmail)
			},
			check: func(t *testing.T, f *fakeAPI, v any, codes []b2core.CodeQuery, reqs []b2core.Request) {
				assert.Equal(t, "3929dfe8-161a-428c-9c71-fde728fe7285", v)
				require.Len(t, codes, 1)
				assert.Equal(t, testEmail, codes[0].To)
				assert.Equal(t, "email", codes[0].Channel)
				assert.Equal(t, b2core.ChallengeRequest{Token: "893f59c2-5905-436c-8ee2-643c4a69555f", Code: testCode},
					decodeBody[b2core.ChallengeRequest](t, f.body("POST "+api+"/2fa/challenge", 0)))
				for _, r := range reqs {
					assert.Equal(t, "Bearer "+testAccess, r.Header.Get("Authorization"))
				}
			}},
		{name: "ok/challenge_unauthorized", flow: b2core.FlowChallenge, steps: []string{"challenge_unauthorized_start", "challenge_complete"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return c.ChallengeFlow(ctx, nil, testEmail) },
			check: func(t *testing.T, _ *fakeAPI, _ any, _ []b2core.CodeQuery, reqs []b2core.Request) {
				assert.Equal(t, "/api/v2/my/2fa/unauthorized/challenge?email=jdoe%40example.com", reqs[0].Path)
				assert.Equal(t, "GET /api/v2/my/2fa/unauthorized/challenge", reqs[0].Name)
				for _, r := range reqs {
					assert.Empty(t, r.Header.Get("Authorization"))
				}
			}},
		{name: "err/challenge_no_email", flow: b2core.FlowChallenge, outcome: b2core.OutcomeFailure, reason: "needs the client's email",
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return c.ChallengeFlow(ctx, session(), "") }},
		{name: "err/challenge_wrong_code", flow: b2core.FlowChallenge, outcome: b2core.OutcomeOTPRejected, reason: "code rejected",
			routes: map[string]http.HandlerFunc{"POST " + api + "/2fa/challenge": reply(400, `{"code":400,"message":"Wrong code"}`)},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.ChallengeFlow(ctx, session(), testEmail)
			}},
		{name: "ok/change_password", flow: b2core.FlowPasswordChange, steps: []string{"challenge_start", "challenge_complete", "password_change"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.ChangePasswordFlow(ctx, session(), testEmail, testNewPass)
			},
			check: func(t *testing.T, f *fakeAPI, _ any, _ []b2core.CodeQuery, reqs []b2core.Request) {
				last := reqs[len(reqs)-1]
				assert.Equal(t, "3929dfe8-161a-428c-9c71-fde728fe7285", last.Header.Get("successToken"))
				assert.Equal(t, "Bearer "+testAccess, last.Header.Get("Authorization"))
				assert.Equal(t, testNewPass, decodeBody[b2core.PasswordRequest](t, f.body("POST "+api+"/password/change", 0)).Password)
			}},
		{name: "ok/restore_password", flow: b2core.FlowPasswordRestore, steps: []string{"challenge_unauthorized_start", "challenge_complete", "password_restore"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.RestorePasswordFlow(ctx, testEmail, testNewPass)
			},
			check: func(t *testing.T, f *fakeAPI, _ any, _ []b2core.CodeQuery, reqs []b2core.Request) {
				last := reqs[len(reqs)-1]
				assert.Equal(t, "3929dfe8-161a-428c-9c71-fde728fe7285", last.Header.Get("successToken"))
				assert.Empty(t, last.Header.Get("Authorization"))
			}},
		{name: "ok/enable_google", flow: b2core.FlowEnableGoogle, steps: []string{"2fa_enable_wizard", "2fa_wizard"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return c.EnableGoogleFlow(ctx, session()) },
			check: func(t *testing.T, f *fakeAPI, v any, _ []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, "TPYXG33M4LOHFJHB", v)
				want, _ := b2core.TOTPCode("TPYXG33M4LOHFJHB", now)
				assert.Equal(t, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: want, Key: "TPYXG33M4LOHFJHB"},
					decodeBody[b2core.TFAWizardRequest](t, f.body("POST "+api+"/2fa/wizard", 0)))
			}},
		{name: "ok/enable_sms", flow: b2core.FlowEnableSMS, steps: []string{"2fa_enable_wizard", "2fa_wizard", "2fa_wizard"},
			routes: map[string]http.HandlerFunc{"POST " + api + "/2fa/wizard": sequence(reply(200, example(t, "2fa_wizard_phone")), reply(200, example(t, "2fa_wizard_sms_enabled")))},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.EnableSMSFlow(ctx, session(), testPhone)
			},
			check: func(t *testing.T, f *fakeAPI, _ any, codes []b2core.CodeQuery, _ []b2core.Request) {
				assert.Equal(t, b2core.TFAWizardRequest{UUID: "c392816d-255f-48b0-a2b4-b315c30816a5", Phone: testPhone},
					decodeBody[b2core.TFAWizardRequest](t, f.body("POST "+api+"/2fa/wizard", 0)))
				// The phone step answered another uuid; the confirmation follows it.
				assert.Equal(t, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: testCode},
					decodeBody[b2core.TFAWizardRequest](t, f.body("POST "+api+"/2fa/wizard", 1)))
				require.Len(t, codes, 1)
				assert.Equal(t, b2core.CodeQuery{To: testPhone, Channel: "sms", Since: codes[0].Since}, codes[0])
			}},
		{name: "ok/disable_google", flow: b2core.FlowDisableTFA, steps: []string{"2fa_disable_wizard", "2fa_wizard"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.DisableTFAFlow(ctx, session(), "google", b2core.Credentials{TOTPSecret: rfcSecret})
			},
			check: func(t *testing.T, f *fakeAPI, _ any, codes []b2core.CodeQuery, _ []b2core.Request) {
				assert.Empty(t, codes)
				assert.Equal(t, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: "081804"},
					decodeBody[b2core.TFAWizardRequest](t, f.body("POST "+api+"/2fa/wizard", 0)))
			}},
		{name: "ok/disable_sms", flow: b2core.FlowDisableTFA, steps: []string{"2fa_disable_wizard", "2fa_wizard"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.DisableTFAFlow(ctx, session(), "sms", b2core.Credentials{Phone: testPhone})
			},
			check: func(t *testing.T, f *fakeAPI, _ any, codes []b2core.CodeQuery, _ []b2core.Request) {
				require.Len(t, codes, 1)
				assert.Equal(t, testPhone, codes[0].To)
				assert.Equal(t, testCode, decodeBody[b2core.TFAWizardRequest](t, f.body("POST "+api+"/2fa/wizard", 0)).Code)
			}},
		{name: "err/disable_google_without_secret", flow: b2core.FlowDisableTFA, outcome: b2core.OutcomeFailure, reason: "needs the user's totpSecret",
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.DisableTFAFlow(ctx, session(), "google", b2core.Credentials{})
			}},
		{name: "err/disable_wrong_code", flow: b2core.FlowDisableTFA, outcome: b2core.OutcomeOTPRejected, reason: "code rejected",
			routes: map[string]http.HandlerFunc{"POST " + api + "/2fa/wizard": reply(400, `{"code":400,"message":"Invalid code"}`)},
			run: func(ctx context.Context, c *b2core.Client) (any, error) {
				return nil, c.DisableTFAFlow(ctx, session(), "sms", b2core.Credentials{Phone: testPhone})
			}},
		{name: "ok/qr_signin", flow: b2core.FlowQRSignIn, steps: []string{"qr_channel", "qr_authorize", "qr_signin"},
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return c.QRSignInFlow(ctx, session()) },
			check: func(t *testing.T, f *fakeAPI, v any, _ []b2core.CodeQuery, reqs []b2core.Request) {
				s := v.(*b2core.Session)
				assert.Equal(t, int64(1), s.ClientID)
				assert.Contains(t, s.AccessToken, "eyJ0eXAi")
				assert.Equal(t, "Bearer "+testAccess, reqs[1].Header.Get("Authorization"))
				assert.Equal(t, b2core.QRTokenRequest{ChannelID: "0a4682f9-7e6c-49a7-b946-db58f28d8171"},
					decodeBody[b2core.QRTokenRequest](t, f.body("POST "+api+"/signin/tokens", 0)))
				assert.Equal(t, "auth-SECRET-token", decodeBody[b2core.QRSignInRequest](t, f.body("POST "+api+"/signin/qrcodes", 0)).AuthorizationToken)
			}},
		{name: "err/qr_no_mobile_session", flow: b2core.FlowQRSignIn, outcome: b2core.OutcomeFailure, reason: "no session",
			run: func(ctx context.Context, c *b2core.Client) (any, error) { return c.QRSignInFlow(ctx, nil) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, docRoutes(t, tc.routes))
			codes := &codeLog{}
			c, rec := newClient(f, b2core.Config{Codes: codes, Now: func() time.Time { return now }}, 0)
			v, err := tc.run(t.Context(), c)
			if tc.outcome != "" {
				se := stepErr(t, err)
				assert.Equal(t, tc.outcome, se.Outcome, se.Error())
				assert.Equal(t, tc.flow, se.Flow)
				assert.Contains(t, se.Reason, tc.reason)
			} else {
				require.NoError(t, err)
				var steps []string
				for _, r := range rec.All() {
					steps = append(steps, r.Step)
					assert.Equal(t, tc.flow, r.Flow, r.Step)
				}
				assert.Equal(t, tc.steps, steps)
			}
			if tc.check != nil {
				tc.check(t, f, v, codes.queries(), rec.All())
			}
		})
	}
}

// A flow run inside a named flow keeps the outer name.
func TestFlowNameNesting(t *testing.T) {
	t.Parallel()
	f := newFake(t, docRoutes(t, nil))
	c, rec := newClient(f, b2core.Config{}, 0)
	_, err := c.SignInFlow(b2core.WithFlow(t.Context(), "vu_iteration"), b2core.Credentials{Email: testEmail, Password: testPassword})
	require.NoError(t, err)
	for _, r := range rec.All() {
		assert.Equal(t, "vu_iteration", r.Flow)
	}
	assert.Equal(t, "step", b2core.FlowFrom(context.Background()))
	assert.Equal(t, "x", b2core.FlowFrom(b2core.WithFlow(context.Background(), "x")))
	var se *b2core.StepError
	assert.False(t, errors.As(nil, &se))
}

// twoFA is a sign-in answer asking for 2FA with the given tfaProviders entries.
func twoFA(providers string) string {
	return `{"code":200,"data":{"accessToken":{},"refreshToken":{},"tfaProviders":[` + providers +
		`]},"done":false,"uuid":"` + testUUID + `","workflow":"2fa"}`
}
