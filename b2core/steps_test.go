package b2core_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// stepCase is one single step: where it goes, how to call it, and how its
// errors classify.
type stepCase struct {
	step    string
	name    string // the stable Request.Name
	okBody  string // the documents' example answer
	call    func(ctx context.Context, c *b2core.Client) error
	lockout bool // a 429 is a lockout
	otp     bool // a 4xx is a refused code
	bearer  bool // sends an access token
	noBody  bool // a 2xx body is not read
}

// route is the fake server's key of the request (method and path).
func (sc stepCase) route() string {
	method, path, _ := strings.Cut(sc.name, " ")
	path = strings.ReplaceAll(path, "{id}", "1")
	path = strings.ReplaceAll(path, "{type}", "google")
	return method + " " + path
}

const challengeStart = `{"token": "893f59c2-5905-436c-8ee2-643c4a69555f", "expiresAt": "2022-01-01T00:00:00+00:00"}`

func stepCases(t *testing.T) []stepCase {
	return []stepCase{
		{step: "signin_wizard", name: "GET /api/v2/my/signin/wizard", okBody: example(t, "signin_wizard"),
			call: func(ctx context.Context, c *b2core.Client) error { _, err := c.SignInWizard(ctx); return err }},
		{step: "signin", name: "POST /api/v2/my/signin", okBody: example(t, "signin_login"), lockout: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.SignIn(ctx, testUUID, testEmail, testPassword)
				return err
			}},
		{step: "signin_2fa", name: "POST /api/v2/my/signin/2fa", okBody: example(t, "signin_2fa_choose_google"), lockout: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.Choose2FA(ctx, testUUID, b2core.ProviderGoogle)
				return err
			}},
		{step: "2fa_google", name: "POST /api/v2/my/2fa/google", okBody: example(t, "2fa_google"), lockout: true, otp: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.Submit2FACode(ctx, testUUID, b2core.ProviderGoogle, testCode)
				return err
			}},
		{step: "2fa_sms", name: "POST /api/v2/my/2fa/sms", okBody: example(t, "2fa_sms"), lockout: true, otp: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.Submit2FACode(ctx, testUUID, b2core.ProviderSMS, testCode)
				return err
			}},
		{step: "signin_password_restore", name: "POST /api/v2/my/signin/password/restore", okBody: example(t, "signin_password_restore"), otp: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.SignInRestore(ctx, testUUID, testCode)
				return err
			}},
		{step: "signin_password_reset", name: "POST /api/v2/my/signin/password/reset", okBody: example(t, "signin_password_reset"),
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.SignInReset(ctx, testUUID, testNewPass)
				return err
			}},
		{step: "refresh", name: "POST /api/v2/my/refresh", okBody: example(t, "refresh"),
			call: func(ctx context.Context, c *b2core.Client) error { _, err := c.Refresh(ctx, testRefresh); return err }},
		{step: "signout", name: "POST /api/v2/my/signout", okBody: "", bearer: true, noBody: true,
			call: func(ctx context.Context, c *b2core.Client) error { return c.SignOut(ctx, testAccess) }},
		{step: "qr_channel", name: "GET /api/v2/my/signin/qrcodes", okBody: example(t, "qr_channel"),
			call: func(ctx context.Context, c *b2core.Client) error { _, err := c.QRChannel(ctx); return err }},
		{step: "qr_authorize", name: "POST /api/v2/my/signin/tokens", okBody: `{"authorizationToken": "$2y$10$qZqqwQqqEX7X6nsPLfPkte2pB6gSHazY1v2CLutwBGWCeF4J6ZG06"}`, bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.QRAuthorize(ctx, testAccess, "0a4682f9-7e6c-49a7-b946-db58f28d8171")
				return err
			}},
		{step: "qr_signin", name: "POST /api/v2/my/signin/qrcodes", okBody: example(t, "qr_signin"),
			call: func(ctx context.Context, c *b2core.Client) error { _, err := c.QRSignIn(ctx, testConfirm); return err }},
		{step: "challenge_start", name: "GET /api/v2/my/2fa/challenge", okBody: challengeStart, bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.StartChallenge(ctx, testAccess)
				return err
			}},
		{step: "challenge_unauthorized_start", name: "GET /api/v2/my/2fa/unauthorized/challenge", okBody: challengeStart,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.StartUnauthorizedChallenge(ctx, testEmail)
				return err
			}},
		{step: "challenge_complete", name: "POST /api/v2/my/2fa/challenge", okBody: example(t, "challenge_complete"), otp: true, bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.CompleteChallenge(ctx, testAccess, testConfirm, testCode)
				return err
			}},
		{step: "2fa_status", name: "GET /api/v2/my/2fa", okBody: example(t, "2fa_status"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error { _, err := c.TFAStatus(ctx, testAccess); return err }},
		{step: "2fa_method", name: "GET /api/v2/my/2fa/{type}", okBody: example(t, "2fa_method"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFAMethod(ctx, testAccess, b2core.ProviderGoogle)
				return err
			}},
		{step: "2fa_enable_wizard", name: "GET /api/v2/my/2fa/{type}/enable/wizard", okBody: example(t, "2fa_enable_wizard_google"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFAEnableWizard(ctx, testAccess, b2core.ProviderGoogle)
				return err
			}},
		{step: "2fa_disable_wizard", name: "GET /api/v2/my/2fa/{type}/disable/wizard", okBody: example(t, "2fa_disable_wizard"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFADisableWizard(ctx, testAccess, b2core.ProviderGoogle)
				return err
			}},
		{step: "2fa_wizard", name: "POST /api/v2/my/2fa/wizard", okBody: example(t, "2fa_wizard_google_enabled"), otp: true, bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: testCode, Key: rfcSecret})
				return err
			}},
		{step: "2fa_changes", name: "GET /api/v2/my/2fa/changes", okBody: example(t, "2fa_changes"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFAChanges(ctx, testAccess, b2core.HistoryQuery{Limit: 10})
				return err
			}},
		{step: "2fa_change", name: "GET /api/v2/my/2fa/changes/{id}", okBody: example(t, "2fa_change"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.TFAChange(ctx, testAccess, 1)
				return err
			}},
		{step: "password_change", name: "POST /api/v2/my/password/change", okBody: "", bearer: true, noBody: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				return c.ChangePassword(ctx, testAccess, testSuccess, testNewPass)
			}},
		{step: "password_restore", name: "POST /api/v2/my/password/restore", okBody: "", noBody: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				return c.RestorePassword(ctx, testSuccess, testNewPass)
			}},
		{step: "password_changes", name: "GET /api/v2/my/password/changes", okBody: example(t, "password_changes"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.PasswordChanges(ctx, testAccess, b2core.HistoryQuery{Limit: 10, SortBy: "createTime", SortOrder: "desc"})
				return err
			}},
		{step: "password_change_get", name: "GET /api/v2/my/password/changes/{id}", okBody: example(t, "password_change_get"), bearer: true,
			call: func(ctx context.Context, c *b2core.Client) error {
				_, err := c.PasswordChange(ctx, testAccess, 1)
				return err
			}},
	}
}

// An error body echoing every secret the client sent.
const echoBody = `{"code": 400, "message": "bad input Secret123pw N3wPassw0rd! 761522 access-SECRET-0123456789abcdef refresh-SECRET-0123456789abcdef success-SECRET-0123456789abcdef confirm-SECRET-0123456789abcdef GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}`

func TestStepClassification(t *testing.T) {
	t.Parallel()
	type mode struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		// want returns the outcome and a piece of the reason, or skip.
		want  func(sc stepCase) (out b2core.Outcome, reason string, status int, skip bool)
		check func(t *testing.T, se *b2core.StepError)
	}
	modes := []mode{
		{name: "err/500", handler: reply(500, `{"code":500,"message":"boom"}`),
			want: func(stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "server error: boom", 500, false
			}},
		{name: "err/502_html", handler: reply(502, `<html>bad gateway</html>`),
			want: func(stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "server error", 502, false
			}},
		{name: "err/invalid_json", handler: reply(200, `{"code": 200, "data": {`),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "invalid JSON", 200, sc.noBody
			}},
		{name: "err/not_json", handler: reply(200, `<html>ok</html>`),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "invalid JSON", 200, sc.noBody
			}},
		{name: "err/wrong_shape", handler: reply(200, `{"unexpected": true}`),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "missing field", 200, sc.noBody
			}},
		{name: "err/wrong_type", handler: reply(200, `[1, 2, 3]`),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "", 200, sc.noBody
			}},
		{name: "err/429_seconds", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "120")
			reply(429, `{"code":429,"message":"Too many attempts"}`)(w, r)
		}, want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
			if sc.lockout {
				return b2core.OutcomeLockout, "locked out (retry after 2m0s): Too many attempts", 429, false
			}
			return b2core.OutcomeRateLimited, "rate limited (retry after 2m0s)", 429, false
		}, check: func(t *testing.T, se *b2core.StepError) { assert.Equal(t, 120*time.Second, se.RetryAfter) }},
		{name: "err/429_date", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
			reply(429, ``)(w, r)
		}, want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
			if sc.lockout {
				return b2core.OutcomeLockout, "locked out", 429, false
			}
			return b2core.OutcomeRateLimited, "rate limited", 429, false
		}, check: func(t *testing.T, se *b2core.StepError) {
			assert.InDelta(t, 90, se.RetryAfter.Seconds(), 5)
		}},
		{name: "err/400_echoing_secrets", handler: reply(400, echoBody),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				if sc.otp {
					return b2core.OutcomeOTPRejected, "code rejected: bad input", 400, false
				}
				return b2core.OutcomeRejected, "rejected: bad input", 400, false
			}},
		{name: "err/400_echoing_the_request", handler: func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			msg, _ := json.Marshal(map[string]any{"code": 400, "message": "bad " + r.URL.RawQuery + " " + string(b) + " " + r.Header.Get("Authorization") + " " + r.Header.Get("successToken")})
			reply(400, string(msg))(w, r)
		}, want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
			if sc.otp {
				return b2core.OutcomeOTPRejected, "code rejected", 400, false
			}
			return b2core.OutcomeRejected, "rejected", 400, false
		}},
		{name: "err/401", handler: reply(401, `{"code":401,"message":"Unauthorized"}`),
			want: func(sc stepCase) (b2core.Outcome, string, int, bool) {
				switch {
				case sc.bearer:
					return b2core.OutcomeRejected, "access token refused", 401, false
				case sc.otp:
					return b2core.OutcomeOTPRejected, "code rejected", 401, false
				}
				return b2core.OutcomeRejected, "rejected", 401, false
			}},
		{name: "err/connection_reset", handler: hijackReset,
			want: func(stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "no answer", 0, false
			},
			check: func(t *testing.T, se *b2core.StepError) { assert.Error(t, se.Err) }},
		{name: "err/slow_past_timeout", handler: slow, timeout: 300 * time.Millisecond,
			want: func(stepCase) (b2core.Outcome, string, int, bool) {
				return b2core.OutcomeFailure, "no answer", 0, false
			},
			check: func(t *testing.T, se *b2core.StepError) { assert.Error(t, se.Err) }},
	}
	for _, sc := range stepCases(t) {
		t.Run("ok/"+sc.step, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{sc.route(): reply(200, sc.okBody)})
			c, rec := newClient(f, b2core.Config{}, 0)
			require.NoError(t, sc.call(context.Background(), c))
			req := rec.Last()
			assert.Equal(t, sc.step, req.Step)
			assert.Equal(t, sc.name, req.Name)
			assert.Equal(t, b2core.StepFlow, req.Flow)
			assert.Equal(t, 1, f.count(sc.route()))
			if sc.bearer {
				assert.Equal(t, "Bearer "+testAccess, req.Header.Get("Authorization"))
			}
		})
		t.Run("ok/"+sc.step+"/flow_from_context", func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{sc.route(): reply(200, sc.okBody)})
			c, rec := newClient(f, b2core.Config{}, 0)
			require.NoError(t, sc.call(b2core.WithFlow(context.Background(), "myflow"), c))
			assert.Equal(t, "myflow", rec.Last().Flow)
		})
		for _, m := range modes {
			out, reason, status, skip := m.want(sc)
			if skip {
				continue
			}
			t.Run(m.name+"/"+sc.step, func(t *testing.T) {
				t.Parallel()
				f := newFake(t, map[string]http.HandlerFunc{sc.route(): m.handler})
				c, _ := newClient(f, b2core.Config{}, m.timeout)
				se := stepErr(t, sc.call(context.Background(), c))
				assert.Equal(t, out, se.Outcome, "reason: %s", se.Reason)
				assert.Equal(t, out, b2core.OutcomeOf(se))
				assert.Equal(t, status, se.Status)
				assert.Contains(t, se.Reason, reason)
				assert.Equal(t, b2core.StepFlow, se.Flow)
				assert.Equal(t, sc.step, se.Step)
				assert.Contains(t, se.Error(), "step "+sc.step)
				if m.check != nil {
					m.check(t, se)
				}
			})
		}
	}
}

// TestStepAnswers checks what the steps make of the documents' answers and
// of answers that deviate in workflow, done or code.
func TestStepAnswers(t *testing.T) {
	t.Parallel()
	wizard := func(code int, done bool, workflow, data string) string {
		return `{"code": ` + strconv.Itoa(code) + `, "data": ` + data + `, "done": ` + map[bool]string{true: "true", false: "false"}[done] +
			`, "uuid": "` + testUUID + `", "workflow": "` + strings.ReplaceAll(workflow, `\`, `\\`) + `"}`
	}
	tokens := `{"accessToken": {"token": "` + testAccess + `", "expiresAt": "2030-01-01T00:00:00Z"}, "refreshToken": {"token": "` + testRefresh + `"}}`
	cases := []struct {
		name   string
		route  string
		body   string
		call   func(ctx context.Context, c *b2core.Client) (any, error)
		reason string // "" means success
		check  func(t *testing.T, v any)
	}{
		{name: "ok/signin_wizard_docs", route: "GET /api/v2/my/signin/wizard", body: example(t, "signin_wizard"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) { return c.SignInWizard(ctx) },
			check: func(t *testing.T, v any) {
				w := v.(*b2core.Wizard[b2core.WizardInitData])
				assert.Equal(t, testUUID, w.UUID)
				assert.True(t, w.Data.IsQRAvailable)
				assert.False(t, w.Data.Recaptcha.Enabled)
			}},
		{name: "err/signin_wizard_wrong_workflow", route: "GET /api/v2/my/signin/wizard", body: wizard(200, false, "2fa", "null"),
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.SignInWizard(ctx) },
			reason: "expected workflow login, got 2fa"},
		{name: "err/signin_wizard_empty_uuid", route: "GET /api/v2/my/signin/wizard", body: `{"code":200,"data":null,"done":false,"uuid":"","workflow":"login"}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.SignInWizard(ctx) },
			reason: "empty uuid"},
		{name: "err/signin_wizard_missing_uuid", route: "GET /api/v2/my/signin/wizard", body: `{"code":200,"done":false,"workflow":"login"}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.SignInWizard(ctx) },
			reason: "missing field uuid"},
		{name: "ok/signin_2fa_docs", route: "POST /api/v2/my/signin", body: example(t, "signin_2fa"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			check: func(t *testing.T, v any) {
				w := v.(*b2core.Wizard[b2core.SignInData])
				assert.Equal(t, b2core.Workflow2FA, w.Workflow)
				require.Len(t, w.Data.TFAProviders, 2)
				assert.True(t, w.Data.TFAProviders[1].Enabled)
			}},
		{name: "ok/signin_reset_password_email_null_data", route: "POST /api/v2/my/signin", body: wizard(200, false, "reset_password_email", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			}},
		{name: "ok/signin_login_extra_fields", route: "POST /api/v2/my/signin",
			body: `{"code":202,"extra":{"x":[1,2]},"data":{"accessToken":{"token":"a","createdAt":"x","expiresAt":"2022-01-01T00:00:00.5Z","more":1},"refreshToken":{"token":"r"},"tfaProviders":[]},"done":true,"uuid":"u","workflow":"login"}`,
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			}},
		{name: "err/signin_unknown_workflow", route: "POST /api/v2/my/signin", body: wizard(200, false, "captcha", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "expected workflow login or 2fa or reset_password_email, got captcha"},
		{name: "err/signin_login_not_done", route: "POST /api/v2/my/signin", body: wizard(200, false, "login", tokens),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "expected done true, got false"},
		{name: "err/signin_login_code_200", route: "POST /api/v2/my/signin", body: wizard(200, true, "login", tokens),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "expected code 202, got 200"},
		{name: "err/signin_login_empty_tokens", route: "POST /api/v2/my/signin", body: wizard(202, true, "login", `{"accessToken": {}, "refreshToken": {}}`),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "missing field accessToken.token"},
		{name: "err/signin_2fa_done", route: "POST /api/v2/my/signin", body: wizard(200, true, "2fa", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "expected done false, got true"},
		{name: "err/signin_data_wrong_shape", route: "POST /api/v2/my/signin", body: wizard(202, true, "login", `"tokens"`),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignIn(ctx, testUUID, testEmail, testPassword)
			},
			reason: "wrong shape of data"},
		{name: "err/signin_2fa_wrong_method", route: "POST /api/v2/my/signin/2fa", body: wizard(200, false, "2fa_sms_auth", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.Choose2FA(ctx, testUUID, b2core.ProviderGoogle)
			},
			reason: "expected workflow 2fa_google_auth, got 2fa_sms_auth"},
		{name: "err/signin_2fa_unknown_provider", route: "POST /api/v2/my/signin/2fa", body: wizard(200, false, "2fa_sms_auth", "null"),
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.Choose2FA(ctx, testUUID, "email") },
			reason: `unknown 2FA provider "email" (want google or sms)`},
		{name: "ok/2fa_google_docs_trailing_comma", route: "POST /api/v2/my/2fa/google", body: example(t, "2fa_google"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.Submit2FACode(ctx, testUUID, b2core.ProviderGoogle, testCode)
			},
			check: func(t *testing.T, v any) {
				w := v.(*b2core.Wizard[b2core.Tokens])
				assert.True(t, strings.HasPrefix(w.Data.AccessToken.Token, "eyJ0eXAi"))
			}},
		{name: "err/2fa_google_wrong_workflow", route: "POST /api/v2/my/2fa/google", body: wizard(200, false, "2fa", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.Submit2FACode(ctx, testUUID, b2core.ProviderGoogle, testCode)
			},
			reason: "expected workflow login, got 2fa"},
		{name: "err/2fa_sms_no_tokens", route: "POST /api/v2/my/2fa/sms", body: wizard(202, true, "login", "[]"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.Submit2FACode(ctx, testUUID, b2core.ProviderSMS, testCode)
			},
			reason: "missing field accessToken"},
		{name: "err/signin_password_restore_wrong_workflow", route: "POST /api/v2/my/signin/password/restore", body: wizard(202, true, "login", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignInRestore(ctx, testUUID, testCode)
			},
			reason: "expected workflow reset_password, got login"},
		{name: "ok/signin_password_reset_data_empty_array", route: "POST /api/v2/my/signin/password/reset", body: wizard(202, true, "login", "[]"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.SignInReset(ctx, testUUID, testNewPass)
			}},
		{name: "ok/refresh_docs", route: "POST /api/v2/my/refresh", body: example(t, "refresh"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) { return c.Refresh(ctx, testRefresh) },
			check: func(t *testing.T, v any) {
				assert.True(t, strings.HasPrefix(v.(*b2core.Tokens).AccessToken.Token, "wyJ0"))
			}},
		{name: "err/refresh_null_tokens", route: "POST /api/v2/my/refresh", body: `{"accessToken": null, "refreshToken": null}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.Refresh(ctx, testRefresh) },
			reason: "missing field accessToken"},
		{name: "ok/challenge_complete_successToken_field", route: "POST /api/v2/my/2fa/challenge", body: `{"successToken": "s-1", "expiresAt": "2022-01-01T00:00:00Z"}`,
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.CompleteChallenge(ctx, "", testConfirm, testCode)
			},
			check: func(t *testing.T, v any) {
				cr := v.(*b2core.ChallengeResponse)
				assert.Equal(t, "s-1", cr.SuccessTokenValue())
				assert.Equal(t, "s-1", cr.Token)
				assert.Equal(t, "s-1", cr.SuccessToken)
			}},
		{name: "ok/challenge_complete_docs_token_field", route: "POST /api/v2/my/2fa/challenge", body: example(t, "challenge_complete"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.CompleteChallenge(ctx, testAccess, testConfirm, testCode)
			},
			check: func(t *testing.T, v any) {
				assert.Equal(t, "3929dfe8-161a-428c-9c71-fde728fe7285", v.(*b2core.ChallengeResponse).SuccessToken)
			}},
		{name: "err/challenge_empty_token", route: "GET /api/v2/my/2fa/challenge", body: `{"token": "", "expiresAt": "x"}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.StartChallenge(ctx, testAccess) },
			reason: "missing field token"},
		{name: "ok/2fa_status_docs", route: "GET /api/v2/my/2fa", body: example(t, "2fa_status"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) { return c.TFAStatus(ctx, testAccess) },
			check: func(t *testing.T, v any) {
				l := v.(*b2core.List[b2core.TFAStatus])
				assert.Equal(t, 2, l.Total)
				assert.Equal(t, "sms", l.Data[0].Name)
				assert.True(t, l.Data[0].IsEnabled)
			}},
		{name: "err/2fa_status_item_missing_name", route: "GET /api/v2/my/2fa", body: `{"total":1,"data":[{"caption":"x","isEnabled":true}]}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.TFAStatus(ctx, testAccess) },
			reason: "data[0]: missing field name"},
		{name: "err/2fa_status_data_object", route: "GET /api/v2/my/2fa", body: `{"total":1,"data":{"name":"sms"}}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.TFAStatus(ctx, testAccess) },
			reason: "wrong shape of data"},
		{name: "ok/2fa_changes_null_data", route: "GET /api/v2/my/2fa/changes", body: `{"total":0,"data":null}`,
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAChanges(ctx, testAccess, b2core.HistoryQuery{})
			},
			check: func(t *testing.T, v any) { assert.Empty(t, v.(*b2core.List[b2core.TFAChange]).Data) }},
		{name: "ok/2fa_change_null_time", route: "GET /api/v2/my/2fa/changes/1", body: `{"id":1,"provider":"sms","isEnabled":true,"time":null}`,
			call:  func(ctx context.Context, c *b2core.Client) (any, error) { return c.TFAChange(ctx, testAccess, 1) },
			check: func(t *testing.T, v any) { assert.Nil(t, v.(*b2core.TFAChange).Time) }},
		{name: "ok/enable_wizard_google_docs", route: "GET /api/v2/my/2fa/google/enable/wizard", body: example(t, "2fa_enable_wizard_google"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAEnableWizard(ctx, testAccess, b2core.ProviderGoogle)
			},
			check: func(t *testing.T, v any) {
				assert.Equal(t, "TPYXG33M4LOHFJHB", v.(*b2core.Wizard[*b2core.EnableWizardData]).Data.Key)
			}},
		{name: "ok/enable_wizard_sms_docs", route: "GET /api/v2/my/2fa/sms/enable/wizard", body: example(t, "2fa_enable_wizard_sms"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAEnableWizard(ctx, testAccess, b2core.ProviderSMS)
			},
			check: func(t *testing.T, v any) { assert.Nil(t, v.(*b2core.Wizard[*b2core.EnableWizardData]).Data) }},
		{name: "err/enable_wizard_google_no_key", route: "GET /api/v2/my/2fa/google/enable/wizard", body: wizard(200, false, "2fa_google", "{}"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAEnableWizard(ctx, testAccess, b2core.ProviderGoogle)
			},
			reason: "missing field data.key"},
		{name: "err/enable_wizard_sms_wrong_workflow", route: "GET /api/v2/my/2fa/sms/enable/wizard", body: wizard(200, false, "2fa_google", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAEnableWizard(ctx, testAccess, b2core.ProviderSMS)
			},
			reason: "expected workflow 2fa_sms_phone_create, got 2fa_google"},
		{name: "ok/disable_wizard_done_true", route: "GET /api/v2/my/2fa/google/disable/wizard", body: example(t, "2fa_disable_wizard"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFADisableWizard(ctx, testAccess, b2core.ProviderGoogle)
			}},
		{name: "ok/disable_wizard_done_false", route: "GET /api/v2/my/2fa/sms/disable/wizard", body: wizard(200, false, "2fa_sms", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFADisableWizard(ctx, testAccess, b2core.ProviderSMS)
			}},
		{name: "err/disable_wizard_wrong_workflow", route: "GET /api/v2/my/2fa/sms/disable/wizard", body: wizard(200, false, "2fa_google", "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFADisableWizard(ctx, testAccess, b2core.ProviderSMS)
			},
			reason: "expected workflow 2fa_sms, got 2fa_google"},
		{name: "ok/2fa_wizard_phone_docs", route: "POST /api/v2/my/2fa/wizard", body: example(t, "2fa_wizard_phone"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Phone: testPhone})
			}},
		{name: "ok/2fa_wizard_terminate_data_object", route: "POST /api/v2/my/2fa/wizard", body: wizard(202, true, b2core.WorkflowTerminate, "{}"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: testCode})
			}},
		{name: "ok/2fa_wizard_terminate_data_null", route: "POST /api/v2/my/2fa/wizard", body: wizard(202, true, b2core.WorkflowTerminate, "null"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: testCode})
			}},
		{name: "err/2fa_wizard_code_not_done", route: "POST /api/v2/my/2fa/wizard", body: wizard(200, false, b2core.WorkflowTerminate, "[]"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Action: "code", Code: testCode})
			},
			reason: "expected done true, got false"},
		{name: "err/2fa_wizard_phone_wrong_workflow", route: "POST /api/v2/my/2fa/wizard", body: wizard(202, true, b2core.WorkflowTerminate, "[]"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.TFAWizard(ctx, testAccess, b2core.TFAWizardRequest{UUID: testUUID, Phone: testPhone})
			},
			reason: `expected workflow phone, got B2B\TCA\Wizards\Workflow\TerminateWorkflow`},
		{name: "err/wizard_workflow_is_a_token", route: "GET /api/v2/my/signin/wizard", body: wizard(200, false, testAccess, "null"),
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.SignInWizard(ctx) },
			reason: "expected workflow login, got ***"},
		{name: "ok/qr_signin_docs", route: "POST /api/v2/my/signin/qrcodes", body: example(t, "qr_signin"),
			call:  func(ctx context.Context, c *b2core.Client) (any, error) { return c.QRSignIn(ctx, testConfirm) },
			check: func(t *testing.T, v any) { assert.Equal(t, int64(1), v.(*b2core.QRSignInResponse).ClientID) }},
		{name: "err/qr_channel_empty_id", route: "GET /api/v2/my/signin/qrcodes", body: `{"id": "", "lifetimeMinutes": 2}`,
			call:   func(ctx context.Context, c *b2core.Client) (any, error) { return c.QRChannel(ctx) },
			reason: "empty id"},
		{name: "ok/password_changes_docs", route: "GET /api/v2/my/password/changes", body: example(t, "password_changes"),
			call: func(ctx context.Context, c *b2core.Client) (any, error) {
				return c.PasswordChanges(ctx, testAccess, b2core.HistoryQuery{})
			},
			check: func(t *testing.T, v any) {
				l := v.(*b2core.List[b2core.PasswordChange])
				require.Len(t, l.Data, 2)
				assert.Equal(t, int64(2), l.Data[1].ID)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{tc.route: reply(200, tc.body)})
			c, _ := newClient(f, b2core.Config{}, 0)
			v, err := tc.call(context.Background(), c)
			if tc.reason == "" {
				require.NoError(t, err)
				if tc.check != nil {
					tc.check(t, v)
				}
				return
			}
			se := stepErr(t, err)
			assert.Equal(t, b2core.OutcomeFailure, se.Outcome)
			assert.Equal(t, tc.reason, se.Reason)
		})
	}
}
