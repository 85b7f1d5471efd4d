package b2core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/testhooks"
)

// refEnv is one reference server behind httptest, with a flow client whose
// codes come from the test hooks.
type refEnv struct {
	url    string
	tr     b2core.Transport
	hooks  *testhooks.HooksClient
	client *b2core.Client
}

func startRef(t *testing.T, variant string) *refEnv {
	t.Helper()
	hs := testref.Start(t, refserver.Config{Variant: variant})
	tr := b2core.NewHTTPTransport(hs.URL, 10*time.Second)
	hooks := testhooks.New(hs.URL+"/__hooks", tr) // an absolute hooks URL
	return &refEnv{url: hs.URL, tr: tr, hooks: hooks,
		client: b2core.New(b2core.Config{Transport: tr, UserAgent: "authflow-test/1.0", Codes: testhooks.CodeSource(hooks, 5*time.Second)})}
}

// signedIn is a new account's credentials and a session signed in with
// them.
func (e *refEnv) signedIn(t *testing.T, ctx context.Context, twoFactor ...string) (b2core.Credentials, *b2core.Session) {
	t.Helper()
	_, cred := e.account(t, twoFactor...)
	s, err := e.client.SignInFlow(ctx, cred)
	require.NoError(t, err)
	return cred, s
}

func (e *refEnv) account(t *testing.T, twoFactor ...string) (*testhooks.Client, b2core.Credentials) {
	t.Helper()
	if twoFactor == nil {
		twoFactor = []string{}
	}
	a, err := e.hooks.CreateClient(t.Context(), testhooks.CreateClientRequest{TwoFactor: twoFactor})
	require.NoError(t, err)
	cred := b2core.Credentials{Email: a.Email, Password: a.Password}
	if a.TOTPSecret != nil {
		cred.TOTPSecret = *a.TOTPSecret
	}
	if a.Phone != nil {
		cred.Phone = *a.Phone
	}
	return a, cred
}

func TestRefserverFlows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, e *refEnv)
	}{
		{name: "ok/signin_refresh_signout", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, s := e.signedIn(t, ctx)
			assert.True(t, s.AccessExpiresAt.After(time.Now()))
			assert.True(t, s.RefreshExpiresAt.After(time.Now()))
			old := s.RefreshToken
			require.NoError(t, e.client.RefreshFlow(ctx, s))
			assert.NotEqual(t, old, s.RefreshToken)
			_, err := e.client.Refresh(ctx, old)
			assert.Equal(t, b2core.OutcomeRejected, b2core.OutcomeOf(err), "a used refresh token is dead: %v", err)
			st, err := e.client.TFAStatus(ctx, s.AccessToken)
			require.NoError(t, err)
			for _, m := range st.Data {
				assert.False(t, m.IsEnabled, m.Name)
			}
			require.NoError(t, e.client.SignOutFlow(ctx, s))
			_, err = e.client.TFAStatus(ctx, s.AccessToken)
			se := stepErr(t, err)
			assert.Equal(t, 401, se.Status)
			assert.Equal(t, b2core.OutcomeRejected, se.Outcome)
		}},
		{name: "ok/signin_google", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			cred, s := e.signedIn(t, ctx, b2core.ProviderGoogle)
			m, err := e.client.TFAMethod(ctx, s.AccessToken, b2core.ProviderGoogle)
			require.NoError(t, err)
			assert.True(t, m.IsEnabled)
			// A second sign-in within the same 30 s must not replay the code.
			_, err = e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
		}},
		{name: "ok/signin_sms", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t, b2core.ProviderSMS)
			_, err := e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
		}},
		{name: "ok/signin_both_methods", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t, b2core.ProviderGoogle, b2core.ProviderSMS)
			_, err := e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
			cred.Method = b2core.ProviderSMS
			_, err = e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
		}},
		{name: "err/wrong_password_then_lockout", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, err := e.hooks.PutPolicy(ctx, testhooks.Policy{SignIn: testhooks.Limit{Attempts: 2, WindowSeconds: 60, BlockSeconds: 30},
				Refresh: testhooks.DefaultPolicy().Refresh})
			require.NoError(t, err)
			_, cred := e.account(t)
			good := cred
			cred.Password = "Wr0ngPassword"
			for range 2 {
				_, err := e.client.SignInFlow(ctx, cred)
				se := stepErr(t, err)
				assert.Equal(t, b2core.OutcomeRejected, se.Outcome, se.Error())
				assert.Equal(t, "signin", se.Step)
			}
			_, err = e.client.SignInFlow(ctx, good)
			se := stepErr(t, err)
			assert.Equal(t, b2core.OutcomeLockout, se.Outcome, se.Error())
			assert.Positive(t, se.RetryAfter)
			assert.NotContains(t, se.Error(), good.Password)
		}},
		{name: "err/wrong_totp_code", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t, b2core.ProviderGoogle)
			cred.TOTPSecret = "JBSWY3DPEHPK3PXP" // another secret
			_, err := e.client.SignInFlow(ctx, cred)
			se := stepErr(t, err)
			assert.Equal(t, b2core.OutcomeOTPRejected, se.Outcome, se.Error())
			assert.Equal(t, "2fa_google", se.Step)
		}},
		{name: "ok/reset_required", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			a, cred := e.account(t)
			require.NoError(t, e.hooks.MarkResetRequired(ctx, a.ID))
			_, err := e.client.SignInFlow(ctx, cred)
			se := stepErr(t, err)
			assert.Contains(t, se.Reason, "no newPassword was given")
			cred.NewPassword = "Reset-Passw0rd-1"
			s, err := e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
			h, err := e.client.PasswordChanges(ctx, s.AccessToken, b2core.HistoryQuery{Limit: 10})
			require.NoError(t, err)
			require.NotEmpty(t, h.Data)
			assert.Equal(t, b2core.PasswordRestored, h.Data[0].Type)
			_, err = e.client.SignInFlow(ctx, b2core.Credentials{Email: cred.Email, Password: cred.NewPassword})
			require.NoError(t, err)
		}},
		{name: "ok/change_password", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			cred, s := e.signedIn(t, ctx)
			require.NoError(t, e.client.ChangePasswordFlow(ctx, s, cred.Email, "Changed-Passw0rd-2"))
			h, err := e.client.PasswordChanges(ctx, s.AccessToken, b2core.HistoryQuery{})
			require.NoError(t, err)
			require.Len(t, h.Data, 1)
			assert.Equal(t, b2core.PasswordChanged, h.Data[0].Type)
			rec, err := e.client.PasswordChange(ctx, s.AccessToken, h.Data[0].ID)
			require.NoError(t, err)
			assert.Equal(t, h.Data[0], *rec)
			_, err = e.client.SignInFlow(ctx, b2core.Credentials{Email: cred.Email, Password: "Changed-Passw0rd-2"})
			require.NoError(t, err)
			_, err = e.client.SignInFlow(ctx, cred)
			assert.Equal(t, b2core.OutcomeRejected, b2core.OutcomeOf(err))
		}},
		{name: "ok/restore_password", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t)
			require.NoError(t, e.client.RestorePasswordFlow(ctx, cred.Email, "Restored-Passw0rd-3"))
			_, err := e.client.SignInFlow(ctx, b2core.Credentials{Email: cred.Email, Password: "Restored-Passw0rd-3"})
			require.NoError(t, err)
		}},
		{name: "err/challenge_wrong_code", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t)
			c := b2core.New(b2core.Config{Transport: e.tr, Codes: b2core.FixedCodes("000000")})
			_, err := c.ChallengeFlow(ctx, nil, cred.Email)
			se := stepErr(t, err)
			assert.Equal(t, b2core.OutcomeOTPRejected, se.Outcome, se.Error())
			assert.Equal(t, "challenge_complete", se.Step)
		}},
		// Each Google case spends at most two TOTP steps (the current and the
		// next), so that the client never waits for the clock.
		{name: "ok/enable_google_then_signin", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			cred, s := e.signedIn(t, ctx)
			secret, err := e.client.EnableGoogleFlow(ctx, s)
			require.NoError(t, err)
			require.NotEmpty(t, secret)
			cred.TOTPSecret = secret
			s2, err := e.client.SignInFlow(ctx, cred) // now asks for the TOTP code
			require.NoError(t, err)
			m, err := e.client.TFAMethod(ctx, s2.AccessToken, b2core.ProviderGoogle)
			require.NoError(t, err)
			assert.True(t, m.IsEnabled)
		}},
		{name: "ok/enable_then_disable_google", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, s := e.signedIn(t, ctx)
			secret, err := e.client.EnableGoogleFlow(ctx, s)
			require.NoError(t, err)
			require.NoError(t, e.client.DisableTFAFlow(ctx, s, b2core.ProviderGoogle, b2core.Credentials{TOTPSecret: secret}))
			ch, err := e.client.TFAChanges(ctx, s.AccessToken, b2core.HistoryQuery{Provider: b2core.ProviderGoogle})
			require.NoError(t, err)
			require.Len(t, ch.Data, 2)
			one, err := e.client.TFAChange(ctx, s.AccessToken, ch.Data[0].ID)
			require.NoError(t, err)
			assert.Equal(t, ch.Data[0].ID, one.ID)
			m, err := e.client.TFAMethod(ctx, s.AccessToken, b2core.ProviderGoogle)
			require.NoError(t, err)
			assert.False(t, m.IsEnabled)
		}},
		{name: "ok/enable_and_disable_sms", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			cred, s := e.signedIn(t, ctx)
			cred.Phone = "+447700900123"
			require.NoError(t, e.client.EnableSMSFlow(ctx, s, cred.Phone))
			s2, err := e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
			require.NoError(t, e.client.DisableTFAFlow(ctx, s2, b2core.ProviderSMS, cred))
			m, err := e.client.TFAMethod(ctx, s2.AccessToken, b2core.ProviderSMS)
			require.NoError(t, err)
			assert.False(t, m.IsEnabled)
		}},
		{name: "ok/qr_signin", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			a, cred := e.account(t)
			mobile, err := e.client.SignInFlow(ctx, cred)
			require.NoError(t, err)
			s, err := e.client.QRSignInFlow(ctx, mobile)
			require.NoError(t, err)
			assert.Equal(t, a.ID, s.ClientID)
			assert.NotEqual(t, mobile.AccessToken, s.AccessToken)
			_, err = e.client.TFAStatus(ctx, s.AccessToken)
			require.NoError(t, err)
		}},
		{name: "ok/capillary_password_change", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			_, cred := e.account(t)
			c := capillary.New(e.tr)
			require.NoError(t, c.ChangePasswordFlow(ctx, capillary.IdentifierEmail, cred.Email, "device-1", "BRAND", cred.Password, "Capillary-Passw0rd-4"))
			_, err := e.client.SignInFlow(ctx, b2core.Credentials{Email: cred.Email, Password: "Capillary-Passw0rd-4"})
			require.NoError(t, err)
			err = c.ChangePasswordFlow(ctx, capillary.IdentifierEmail, cred.Email, "device-1", "BRAND", "Wr0ng-Passw0rd", "x")
			se := stepErr(t, err)
			assert.Equal(t, capillary.StepValidate, se.Step)
			assert.Equal(t, b2core.OutcomeRejected, se.Outcome, se.Error())
		}},
		{name: "ok/hooks_policy", run: func(t *testing.T, ctx context.Context, e *refEnv) {
			p, err := e.hooks.GetPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, testhooks.DefaultPolicy(), *p)
		}},
	}
	// Every flow works against both personalities of the reference server:
	// the client tolerates every legal answer, not only our server's.
	for _, variant := range []string{refserver.VariantDefault, refserver.VariantAlt} {
		for _, tc := range cases {
			t.Run(variant+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := startRef(t, variant)
				ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
				defer cancel()
				tc.run(t, ctx, e)
			})
		}
	}
}
