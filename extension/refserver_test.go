package extension

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/testhooks"
)

// refServer starts the reference server in-process (testref.Start).
func refServer(t testing.TB, cfg refserver.Config) *httptest.Server {
	t.Helper()
	return testref.Start(t, cfg)
}

// hooksVU starts the reference server with cfg and a VU whose init code
// declares base (the server's URL) and hooks (its test hooks) and then runs
// init, and moves the VU to its VU context.
func hooksVU(t testing.TB, cfg refserver.Config, init string) *testVU {
	t.Helper()
	srv := refServer(t, cfg)
	v := newTestVU(t, nil)
	v.run(fmt.Sprintf("var base = %q;\nvar hooks = new authflow.Hooks(base + '/__hooks');", srv.URL) + init)
	v.toVU()
	return v
}

func TestFlowsAgainstRefServer(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'hooks' }, tags: { suite: 'ext' } });
		var cap = new authflow.Client({ baseURL: base, profile: 'capillary' });`)

	out := v.obj(`
		var o = {}, r;
		function keep(name, r) { o[name] = { ok: r.ok, flow: r.flow, outcome: r.outcome, step: r.step, reason: r.reason, status: r.status }; return r; }
		var plain = hooks.createClient({ twoFactor: [] });
		var g = hooks.createClient({ twoFactor: ['google'] });
		var s = hooks.createClient({ twoFactor: ['sms'] });
		var both = hooks.createClient({ twoFactor: ['google', 'sms'] });
		var rst = hooks.createClient({ twoFactor: [] });

		var p = keep('signin', c.signIn(plain));
		keep('signin_totp', c.signIn(g));
		var sm = keep('signin_sms', c.signIn(s));
		keep('signin_both_sms', c.signIn(both, { method: 'sms' }));

		hooks.markResetRequired(rst.id);
		keep('signin_reset', c.signIn(rst, { newPassword: 'N3w-pass-word!' }));
		rst.password = 'N3w-pass-word!';
		keep('signin_after_reset', c.signIn(rst));

		var ch = keep('challenge', c.challenge(p.session, plain.email));
		o.challengeToken = typeof ch.token === 'string' && ch.token.length > 0;
		keep('challenge_unauth', c.challenge(null, plain.email));
		keep('change_password', c.changePassword(p.session, plain.email, 'Ch4nged-pass!'));
		keep('restore_password', c.restorePassword(plain.email, 'R3stored-pass!'));
		plain.password = 'R3stored-pass!';
		keep('signin_restored', c.signIn(plain));

		var eg = keep('enable_google', c.enableGoogle(p.session));
		o.secretHidden = Object.keys(eg).indexOf('secret') < 0 && eg.secret.length > 0;
		o.totpLen = authflow.totp(eg.secret).length;
		keep('disable_google', c.disable2FA(p.session, 'google', { email: plain.email, totpSecret: eg.secret }));
		keep('enable_sms', c.enableSMS(p.session, '+15550001111'));
		keep('disable_sms', c.disable2FA(p.session, 'sms', { email: plain.email, phone: '+15550001111' }));

		var q = keep('qr', c.qrSignIn(sm.session));
		o.qrSession = q.session && q.session.accessToken.length > 0;
		var th = keep('tfa_changes', c.tfaChanges(p.session, { limit: 10, sortOrder: 'desc' }));
		o.tfaTotal = th.total;
		var ph = keep('password_changes', c.passwordChanges(p.session, { limit: 10 }));
		o.pwdTotal = ph.total;

		var before = p.session.refreshToken;
		keep('refresh', c.refresh(p.session));
		o.rotated = p.session.refreshToken !== before;
		keep('signout', c.signOut(p.session));
		keep('refresh_after_signout', c.refresh(p.session));

		keep('capillary', cap.capillaryChangePassword({ identifierType: 'EMAIL', identifierValue: g.email,
			deviceId: 'dev-1', brand: 'authflow', password: g.password, newPassword: 'C4pillary-pass!' }));
		o.sessionJSON = JSON.stringify(sm.session);
		return o;`)

	for _, name := range []string{"signin", "signin_totp", "signin_sms", "signin_both_sms", "signin_reset",
		"signin_after_reset", "challenge", "challenge_unauth", "change_password", "restore_password",
		"signin_restored", "enable_google", "disable_google", "enable_sms", "disable_sms", "qr",
		"tfa_changes", "password_changes", "refresh", "signout", "capillary"} {
		r, ok := out[name].(map[string]any)
		if assert.Truef(t, ok, "%s missing", name) {
			assert.Equalf(t, true, r["ok"], "%s: %v", name, r)
		}
	}
	flow := func(name string) any { return out[name].(map[string]any)["flow"] }
	assert.Equal(t, "signin", flow("signin"))
	assert.Equal(t, "signin_totp", flow("signin_totp"))
	assert.Equal(t, "signin_sms", flow("signin_sms"))
	assert.Equal(t, "signin_sms", flow("signin_both_sms"))
	assert.Equal(t, "signin_reset", flow("signin_reset"))
	assert.Equal(t, "qr_signin", flow("qr"))
	assert.Equal(t, "capillary_password_change", flow("capillary"))
	after := out["refresh_after_signout"].(map[string]any)
	assert.Equal(t, false, after["ok"])
	assert.Equal(t, "rejected", after["outcome"])
	for _, k := range []string{"challengeToken", "secretHidden", "qrSession", "rotated"} {
		assert.Equalf(t, true, out[k], k)
	}
	assert.EqualValues(t, 6, out["totpLen"])
	assert.GreaterOrEqual(t, num(out["tfaTotal"]), 2.0)
	assert.GreaterOrEqual(t, num(out["pwdTotal"]), 2.0)
	assert.NotContains(t, out["sessionJSON"], "Token")

	samples := v.drain()
	m := byMetric(samples)
	flows := tagValues(m[MetricFlows], "flow")
	for _, f := range []string{"signin", "signin_totp", "signin_sms", "signin_reset", "challenge", "password_change",
		"password_restore", "2fa_enable_google", "2fa_enable_sms", "2fa_disable", "qr_signin", "tfa_changes",
		"password_changes", "refresh", "signout", "capillary_password_change"} {
		assert.Contains(t, flows, f)
	}
	// The http_req_* samples of a sign-in carry the name its 2FA path gave it.
	var totpNames []string
	for _, s := range m["http_req_duration"] {
		if f, _ := s.Tags.Get("flow"); f == "signin_totp" {
			n, _ := s.Tags.Get("name")
			totpNames = append(totpNames, n)
		}
		if f, _ := s.Tags.Get("flow"); f != "capillary_password_change" { // the capillary client has no tags
			st, _ := s.Tags.Get("suite")
			assert.Equal(t, "ext", st)
		}
		_, hasStep := s.Tags.Get("step")
		assert.True(t, hasStep)
	}
	assert.Subset(t, totpNames, []string{"GET /api/v2/my/signin/wizard", "POST /api/v2/my/signin",
		"POST /api/v2/my/signin/2fa", "POST /api/v2/my/2fa/google"})
	assert.Contains(t, tagValues(m[MetricStepDuration], "step"), "2fa_google")
	assert.NotEmpty(t, m[MetricFlowDuration])
	// Hooks and code reads are plumbing: not in http_req_*.
	for _, n := range tagValues(m["http_reqs"], "name") {
		assert.NotContains(t, n, "__hooks", n)
	}
	// Only the deliberate refresh after signout failed.
	var failed float64
	for _, s := range m[MetricFlowFailed] {
		failed += s.Value
	}
	assert.Equal(t, 1.0, failed)
	assertNoSecrets(t, samples, v.logs.AllEntries(), "N3w-pass-word!", "Ch4nged-pass!", "R3stored-pass!", "C4pillary-pass!")
}

// TestResultSteps reads a result's steps the ways a script does: they are
// made lazily, and must still behave as a plain array of plain objects.
func TestResultSteps(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base });`)
	out := v.obj(`
		var r = c.signIn(hooks.createClient({ twoFactor: ['google'] }), { method: 'google' });
		var o = { ok: r.ok, isArray: Array.isArray(r.steps), length: r.steps.length };
		o.names = r.steps.map(function (s) { return s.name; });
		o.statuses = r.steps.map(function (s) { return s.status; });
		o.timed = r.steps.every(function (s) { return s.durationMs > 0; });
		o.same = r.steps[0] === r.steps[0];
		r.steps[1].note = 'kept';
		o.kept = r.steps[1].note;
		o.outOfRange = r.steps[4] === undefined;
		o.json = JSON.parse(JSON.stringify(r)).steps;
		o.spread = [].concat(r.steps).length;
		return o;`)
	require.Equal(t, true, out["ok"], out)
	assert.Equal(t, true, out["isArray"])
	assert.EqualValues(t, 4, out["length"])
	assert.Equal(t, []any{"GET /api/v2/my/signin/wizard", "POST /api/v2/my/signin",
		"POST /api/v2/my/signin/2fa", "POST /api/v2/my/2fa/google"}, out["names"])
	assert.Equal(t, []any{int64(200), int64(200), int64(200), int64(202)}, out["statuses"]) // 202: the final step
	assert.Equal(t, true, out["timed"])
	assert.Equal(t, true, out["same"])
	assert.Equal(t, "kept", out["kept"])
	assert.Equal(t, true, out["outOfRange"])
	assert.EqualValues(t, 4, out["spread"])
	json := out["json"].([]any)
	require.Len(t, json, 4)
	assert.Equal(t, "signin_wizard", json[0].(map[string]any)["step"])
	assert.Equal(t, "kept", json[1].(map[string]any)["note"])
}

func TestLockoutAndSteps(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{Policy: testhooks.Policy{
		SignIn:  testhooks.Limit{Attempts: 3, WindowSeconds: 60, BlockSeconds: 2},
		Refresh: testhooks.Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600},
	}}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'hooks' } });
		var w = new authflow.Client({ baseURL: base, codes: { source: 'hooks' }, onLockout: 'wait', maxLockoutWait: '5s' });`)
	out := v.obj(`
		var o = { steps: [] };
		var g = hooks.createClient({ twoFactor: ['google'] });
		o.policy = hooks.getPolicy().signin.attempts;
		// Probe: wrong codes until the lockout, each step on its own.
		for (var i = 0; i < 5; i++) {
			var wz = c.steps.signInWizard();
			var si = c.steps.signIn(wz.uuid, g.email, g.password);
			if (!si.ok) { o.steps.push(si.outcome); continue; }
			var ch = c.steps.choose2FA(si.uuid, 'google');
			var sc = c.steps.submitCode(ch.uuid, 'google', '000000', { expectedStatuses: [{ min: 400, max: 499 }] });
			o.steps.push(sc.outcome);
		}
		var locked = c.signIn(g);
		o.locked = { outcome: locked.outcome, retryAfter: locked.retryAfter, ok: locked.ok };
		var waited = w.signIn(g);
		o.waited = { ok: waited.ok, attempts: waited.attempts, waitedMs: waited.waitedMs, reason: waited.reason,
			durationMs: waited.durationMs };
		return o;`)
	assert.EqualValues(t, 3, out["policy"])
	steps := out["steps"].([]any)
	assert.Equal(t, []any{"otp_rejected", "otp_rejected", "otp_rejected", "lockout", "lockout"}, steps)
	locked := out["locked"].(map[string]any)
	assert.Equal(t, "lockout", locked["outcome"])
	assert.Greater(t, num(locked["retryAfter"]), 0.0)
	waited := out["waited"].(map[string]any)
	assert.Equal(t, true, waited["ok"], waited)
	assert.EqualValues(t, 2, waited["attempts"])
	assert.Greater(t, num(waited["waitedMs"]), 500.0, "slept through Retry-After")
	assert.Less(t, num(waited["durationMs"]), num(waited["waitedMs"]), "the sleep is not in durationMs")

	samples := v.drain()
	m := byMetric(samples)
	assert.Len(t, m[MetricOTPRejected], 3)
	assert.GreaterOrEqual(t, len(m[MetricLockouts]), 3)
	// The deliberately wrong codes were expected: not http_req_failed.
	for _, s := range m["http_req_failed"] {
		if st, _ := s.Tags.Get("step"); st == "2fa_google" {
			if status, _ := s.Tags.Get("status"); status == "401" || status == "400" || status == "422" {
				assert.Equal(t, 0.0, s.Value)
			}
		}
	}
	assert.Contains(t, tagValues(m[MetricFlows], "outcome"), "lockout")
	assert.Equal(t, []string{"lockout"}, tagValues(m[MetricWaitDuration], "reason"))
	for _, s := range m[MetricFlowFailed] {
		assert.Equal(t, 0.0, s.Value, "lockouts are not failures")
	}
}

// num reads a JSON number exported from JS (int64 or float64).
func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return -1
}

func TestOnLockoutSkipTakesAnotherUser(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{Policy: testhooks.Policy{
		SignIn:  testhooks.Limit{Attempts: 2, WindowSeconds: 60, BlockSeconds: 60},
		Refresh: testhooks.Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600},
	}}, `
		var skip = new authflow.Client({ baseURL: base, onLockout: 'skip', throw: true });`)
	out := v.obj(`
		var a = hooks.createClient({}), b = hooks.createClient({});
		for (var i = 0; i < 3; i++) {
			var wz = skip.steps.signInWizard();
			try { skip.steps.signIn(wz.uuid, a.email, 'wrong-password', { expectedStatuses: [401, 422, 429] }); } catch (e) {}
		}
		var picker = new authflow.UserPicker([a, b], { name: 'skip' });
		var r = skip.signIn(picker);
		var again = skip.signIn(picker);
		return { ok: r.ok, user: r.user.email, b: b.email, again: again.user.email, stats: picker.stats() };`)
	assert.Equal(t, true, out["ok"])
	assert.Equal(t, out["b"], out["user"], "the locked-out user was skipped")
	assert.Equal(t, out["b"], out["again"], "and stays set aside")
	assert.EqualValues(t, 1, out["stats"].(map[string]any)["blocked"])
	m := byMetric(v.drain())
	assert.Contains(t, tagValues(m[MetricFlows], "outcome"), "lockout")
}
