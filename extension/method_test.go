package extension

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// The server's tfaProviders decide the 2FA method, and the flow is named
// from the server's answer, never from the user's phone or secret.
func TestServerDecidesTheMethod(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'hooks' } });`)
	out := v.obj(`
		function keep(r) { return { ok: r.ok, flow: r.flow, outcome: r.outcome, step: r.step, reason: r.reason }; }
		var o = {};
		var u = hooks.createClient({ twoFactor: [] });
		var s = c.signIn(u).session;
		var secret = c.enableGoogle(s).secret;
		// A phone and a secret: the server enabled Google only.
		o.both = keep(c.signIn({ email: u.email, password: u.password, phone: '+15550001234', totpSecret: secret }));
		// A phone only: the server asks for what the user lacks.
		o.phoneOnly = keep(c.signIn({ email: u.email, password: u.password, phone: '+15550001234' }));
		// An explicit method the server did not enable.
		o.sms = keep(c.signIn({ email: u.email, password: u.password, phone: '+15550001234', totpSecret: secret }, { method: 'sms' }));
		// A refused password of a user who declares nothing: the server never said, so signin.
		o.wrong = keep(c.signIn({ email: u.email, password: 'x' + u.password, phone: '+15550001234', totpSecret: secret }));
		o.wrongDeclared = keep(c.signIn({ email: u.email, password: 'x' + u.password, twoFactor: ['sms'] }));
		return o;`)
	both := out["both"].(map[string]any)
	assert.Equal(t, true, both["ok"], both)
	assert.Equal(t, "signin_totp", both["flow"])

	po := out["phoneOnly"].(map[string]any)
	assert.Equal(t, "signin_totp", po["flow"], po)
	assert.Equal(t, "2fa_google", po["step"])
	assert.Equal(t, `the server asks for Google Authenticator (tfaProviders: ["google"]) but the user has no totpSecret`, po["reason"])

	sms := out["sms"].(map[string]any)
	assert.Equal(t, "signin_sms", sms["flow"], sms)
	assert.Contains(t, sms["reason"], `did not enable it for this user (tfaProviders: ["google"])`)

	wrong := out["wrong"].(map[string]any)
	require.Equal(t, "rejected", wrong["outcome"], wrong)
	assert.Equal(t, "signin", wrong["flow"], "not guessed from the phone or the secret")
	assert.Equal(t, "signin_sms", out["wrongDeclared"].(map[string]any)["flow"], "the user's twoFactor field is read")
}
