package extension

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/testhooks"
)

// createUsers makes n accounts through the hooks, from Go.
func createUsers(t *testing.T, base string, n int, twoFactor ...string) string {
	t.Helper()
	tr := b2core.NewHTTPTransport("", 5*time.Second)
	t.Cleanup(tr.Client.CloseIdleConnections)
	h := testhooks.New(base+"/__hooks", tr)
	var users []User
	for range n {
		c, err := h.CreateClient(context.Background(), testhooks.CreateClientRequest{TwoFactor: twoFactor})
		require.NoError(t, err)
		u := User{ID: c.ID, Email: c.Email, Password: c.Password, TwoFactor: twoFactor}
		if c.TOTPSecret != nil {
			u.TOTPSecret = *c.TOTPSecret
		}
		users = append(users, u)
	}
	b, err := json.Marshal(users)
	require.NoError(t, err)
	return string(b)
}

func TestSessionPoolSharedAndRefreshed(t *testing.T) {
	t.Parallel()
	srv := refServer(t, refserver.Config{AccessTTL: 3 * time.Second})
	users := createUsers(t, srv.URL, 3)
	root := New()
	const nVU = 3
	vus := parallelVUs(t, root, nVU, func(v *testVU) {
		v.run(fmt.Sprintf(`var c = new authflow.Client({ baseURL: %q });
			var pool = new authflow.SessionPool(c, %s, { size: 2, refreshBefore: '2s' });`, srv.URL, users))
	}, func(_ int, v *testVU) {
		_, err := v.rt.VU.Runtime().RunString(`
			var deadline = Date.now() + 2600, n = 0, bad = [];
			while (Date.now() < deadline) {
				var s = pool.get();
				if (!s) { bad.push('no session'); break; }
				var r = c.passwordChanges(s, { limit: 1 });
				if (!r.ok) bad.push(r.reason);
				n++;
			}
			if (bad.length) throw new Error(bad.join('; '));`)
		assert.NoError(t, err)
	})
	var signIns, refreshes, failures int
	for _, v := range vus {
		m := byMetric(v.drain())
		for _, s := range m[MetricFlows] {
			f, _ := s.Tags.Get("flow")
			o, _ := s.Tags.Get("outcome")
			switch {
			case o != "success":
				failures++
			case f == "signin":
				signIns++
			case f == "refresh":
				refreshes++
			}
		}
	}
	assert.Equal(t, 2, signIns, "the pool signs in its size, once, across VUs")
	assert.GreaterOrEqual(t, refreshes, 2, "sessions refreshed before expiry")
	assert.LessOrEqual(t, refreshes, 2*5, "never past the refresh limit per client")
	assert.Zero(t, failures)
	assert.Equal(t, poolStats{Size: 2, Sessions: 2, Pending: 0}, vus[0].run(`pool.stats()`).Export())
}

func TestCodeSources(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var calls = [];
		var viaURL = new authflow.Client({ baseURL: base, codes: { source: 'url',
			url: base + '/__hooks/messages/latest?to={to}&channel={channel}', field: 'code', sentAtField: 'sentAt' } });
		var viaFn = new authflow.Client({ baseURL: base, codes: { source: 'callback',
			fn: function (to, channel) { calls.push(channel); return hooks.latestMessage(to).code; } } });
		var none = new authflow.Client({ baseURL: base });
		var wrong = new authflow.Client({ baseURL: base, codes: { source: 'fixed', code: '000000' } });`)
	out := v.obj(`
		var s1 = hooks.createClient({ twoFactor: ['sms'] });
		var s2 = hooks.createClient({ twoFactor: ['sms'] });
		var s3 = hooks.createClient({ twoFactor: ['sms'] });
		var s4 = hooks.createClient({ twoFactor: ['sms'] });
		var a = viaURL.signIn(s1), b = viaFn.signIn(s2), c = none.signIn(s3), d = wrong.signIn(s4);
		var rc = viaFn.steps.readCode(s2.phone, 'sms');
		return { url: a.ok, fn: b.ok, calls: calls, none: c.reason, noneOutcome: c.outcome, noneStatus: c.status,
			wrong: d.outcome, wrongFlow: d.flow, readCode: rc.ok && rc.code.length === 6 };`)
	assert.Equal(t, true, out["url"])
	assert.Equal(t, true, out["fn"])
	assert.Equal(t, []any{"sms", "sms"}, out["calls"])
	assert.Contains(t, out["none"], "no code source configured")
	assert.Equal(t, "failure", out["noneOutcome"])
	assert.EqualValues(t, 0, out["noneStatus"])
	assert.Equal(t, "otp_rejected", out["wrong"])
	assert.Equal(t, "signin_sms", out["wrongFlow"])
	assert.Equal(t, true, out["readCode"])
	// Code reads are not measured as API calls.
	for _, n := range tagValues(byMetric(v.drain())["http_reqs"], "name") {
		assert.NotContains(t, n, "__hooks")
	}
}

func TestCallbackThrowKeepsSamples(t *testing.T) {
	t.Parallel()
	srv := refServer(t, refserver.Config{})
	v := newTestVU(t, nil)
	v.run(fmt.Sprintf(`var hooks = new authflow.Hooks(%q + '/__hooks');
		var c = new authflow.Client({ baseURL: %q, codes: { source: 'callback', fn: function () { throw new Error('no phone here'); } } });`,
		srv.URL, srv.URL))
	v.toVU()
	r := v.obj(`var u = hooks.createClient({ twoFactor: ['sms'] }); var r = c.signIn(u); return r;`)
	assert.Equal(t, false, r["ok"])
	assert.Equal(t, "signin_sms", r["flow"])
	assert.Contains(t, r["reason"], "no phone here")
	m := byMetric(v.drain())
	assert.Contains(t, tagValues(m["http_reqs"], "flow"), "signin_sms")
}
