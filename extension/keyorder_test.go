package extension

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// Results, users, sessions and stats list their keys in one order, read
// after read: Object.keys and JSON.stringify are deterministic.
func TestHostObjectKeyOrderIsStable(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'hooks' } });`)
	out := v.obj(`
		var u = hooks.createClient({ twoFactor: ['google'] });
		var picker = new authflow.UserPicker([u], { name: 'keys' });
		var pool = new authflow.SessionPool(c, [hooks.createClient({ twoFactor: [] })], { size: 1, name: 'keys' });
		var ok = c.signIn(u), bad = c.signIn({ email: u.email, password: 'x' });
		var wz = c.steps.signInWizard(), si = c.steps.signIn(wz.uuid, u.email, u.password);
		var objs = { ok: ok, bad: bad, user: u, session: ok.session, picked: picker.next(),
			pickerStats: picker.stats(), poolStats: pool.stats(), policy: hooks.getPolicy(),
			providers: si.tfaProviders[0], history: c.tfaChanges(ok.session, { limit: 5 }).items[0] || {} };
		var o = {};
		for (var name in objs) {
			var seen = {};
			for (var i = 0; i < 50; i++) {
				seen[Object.keys(objs[name]).join() + ' | ' + JSON.stringify(objs[name]).replace(/[0-9.]+/g, '#')] = true;
			}
			o[name] = Object.keys(seen);
		}
		return o;`)
	for name, orders := range out {
		list := orders.([]any)
		require.Lenf(t, list, 1, "%s: %d orders over 50 reads: %v", name, len(list), list)
	}
	assert.Contains(t, out["poolStats"].([]any)[0], "size,sessions,pending")
	assert.Contains(t, out["ok"].([]any)[0], "ok,flow,outcome,step,status,reason,durationMs,waitedMs,retryAfter,steps,session")
}
