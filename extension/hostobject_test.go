package extension

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.k6.io/k6/v2/lib/fsext"

	"github.com/authflow/authflow/refserver"
)

// TestHostObjectsBehaveAsPlainObjects holds users[i] and results (host
// objects, see hostobject.go) to what the plain objects they replaced did,
// each case one script expression compared with its plain-object answer:
// the same keys in the same order, JSON, spread, assignment, delete,
// re-adding, `in` and hasOwnProperty; hidden fields readable but never
// listed; and a changed user signs in with its changes.
func TestHostObjectsBehaveAsPlainObjects(t *testing.T) {
	t.Parallel()
	srv := refServer(t, refserver.Config{})
	fs := fsext.NewMemMapFs()
	require.NoError(t, fsext.WriteFile(fs, "/data/users.json", []byte(`[
		{"id": 7, "email": "a@x.test", "password": "p1", "totpSecret": null, "phone": "+15550000001", "twoFactor": ["sms"], "username": "a"},
		{"email": "b@x.test", "password": "p2"}]`), 0o644))
	v := newTestVU(t, nil)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fs}
	v.rt.VU.InitEnvField.CWD = &url.URL{Path: "/data/"}
	v.run(fmt.Sprintf(`var users = authflow.openUsers('./users.json');
		var base = %q;
		var hooks = new authflow.Hooks(base + '/__hooks');
		var c = new authflow.Client({ baseURL: base });
		// plain makes the plain object a host object stands for.
		function plain(o) { var p = {}; Object.keys(o).forEach(function (k) { p[k] = o[k]; }); return p; }`, srv.URL))
	v.toVU()

	for name, tc := range map[string]struct{ js, want string }{
		"ok/user-keys":       {`Object.keys(users[0]).join()`, `id,email,password,totpSecret,phone,twoFactor,username`},
		"ok/user-keys-short": {`Object.keys(users[1]).join()`, `id,email,password,totpSecret,phone,twoFactor`},
		"ok/user-json":       {`JSON.stringify(users[0])`, `{"id":7,"email":"a@x.test","password":"p1","totpSecret":null,"phone":"+15550000001","twoFactor":["sms"],"username":"a"}`},
		"ok/user-spread":     {`JSON.stringify(Object.assign({}, users[1]))`, `{"id":0,"email":"b@x.test","password":"p2","totpSecret":null,"phone":null,"twoFactor":[]}`},
		"ok/user-for-in":     {`var ks = []; for (var k in users[1]) ks.push(k); ks.join()`, `id,email,password,totpSecret,phone,twoFactor`},
		"ok/user-set":        {`var u = users[1]; u.password = 'x'; u.note = 1; JSON.stringify(u)`, `{"id":0,"email":"b@x.test","password":"x","totpSecret":null,"phone":null,"twoFactor":[],"note":1}`},
		"ok/user-delete":     {`var u = users[1]; delete u.phone; delete u.nothing; [('phone' in u), u.hasOwnProperty('email'), u.phone === undefined, Object.keys(u).join()].join()`, `false,true,true,id,email,password,totpSecret,twoFactor`},
		"ok/user-readd":      {`var u = users[1]; u.a = 1; u.b = 2; delete u.a; u.a = 3; Object.keys(u).slice(6).join()`, `b,a`},
		"ok/user-twofactor":  {`var u = users[0]; u.twoFactor.push('google'); [u.twoFactor === u.twoFactor, u.twoFactor.join()].join()`, `true,sms,google`},
		"ok/user-own-copy":   {`users[0].email = 'changed'; users[0].email`, `a@x.test`},
		"ok/user-typeof":     {`[typeof users[0], users[0] instanceof Object, Array.isArray(users[0])].join()`, `object,true,false`},

		"ok/result-keys": {`Object.keys(c.signIn(hooks.createClient({ twoFactor: [] }))).join()`,
			`ok,flow,outcome,step,status,reason,durationMs,waitedMs,retryAfter,steps,session`},
		"ok/result-failed-keys": {`Object.keys(c.signIn({ email: 'nobody@x.test', password: 'wrong' })).join()`,
			`ok,flow,outcome,step,status,reason,durationMs,waitedMs,retryAfter,steps`},
		"ok/result-json-as-plain": {`var r = c.signIn({ email: 'nobody@x.test', password: 'wrong' }); JSON.stringify(r) === JSON.stringify(plain(r))`, `true`},
		"ok/result-hidden-user": {`var p = new authflow.UserPicker([hooks.createClient({ twoFactor: [] })]); var r = c.signIn(p);
			[r.ok, Object.keys(r).indexOf('user') < 0, typeof r.user.email, JSON.stringify(r).indexOf('password') < 0].join()`, `true,true,string,true`},
		"ok/result-set-delete": {`var r = c.signIn({ email: 'nobody@x.test', password: 'wrong' }); r.mine = 1; r.ok = 'x'; delete r.reason;
			[r.ok, r.mine, 'reason' in r, Object.keys(r).join()].join('|')`, `x|1|false|ok,flow,outcome,step,status,durationMs,waitedMs,retryAfter,steps,mine`},

		"ok/changed-user-signs-in-with-changes": {`var u = hooks.createClient({ twoFactor: [] }); var pw = u.password;
			var h = JSON.parse(JSON.stringify(u)); // a plain copy, for the comparison
			u.password = 'wrong'; var bad = c.signIn(u); u.password = pw; var good = c.signIn(u); var again = c.signIn(h);
			[bad.outcome, good.ok, again.ok].join()`, `rejected,true,true`},
		"err/changed-user-checked": {`var u = users[1]; u.email = 5; try { c.signIn(u); 'no error' } catch (e) { String(e).indexOf('email must be a string') >= 0 }`, `true`},
		"err/no-freeze":            {`try { Object.freeze(users[0]); 'frozen' } catch (e) { e instanceof TypeError }`, `true`},
	} {
		t.Run(name, func(t *testing.T) {
			got := v.run(tc.js)
			assert.Equal(t, tc.want, got.String(), tc.js)
		})
	}
}

// TestHostObjectsAsSetupData sends users and results through what k6 does
// to setup() data (json.Marshal of the exported value): they must arrive as
// JSON.stringify writes them, secrets left out.
func TestHostObjectsAsSetupData(t *testing.T) {
	t.Parallel()
	srv := refServer(t, refserver.Config{})
	v := newTestVU(t, nil)
	v.run(fmt.Sprintf(`var hooks = new authflow.Hooks(%[1]q + '/__hooks');
		var c = new authflow.Client({ baseURL: %[1]q });`, srv.URL))
	v.toVU()
	v.run(`var u = hooks.createClient({ twoFactor: ['google'] }); u.note = 'mine';
		var data = { user: u, users: [hooks.createClient({ twoFactor: [] })], failed: c.signIn({ email: 'nobody@x.test', password: 'pw' }),
			picked: c.signIn(new authflow.UserPicker([hooks.createClient({ twoFactor: [] })])) };`)
	got, err := json.Marshal(v.run(`data`).Export())
	require.NoError(t, err)
	want := v.run(`JSON.stringify(data)`).String()
	assert.JSONEq(t, want, string(got))
	assert.Contains(t, string(got), `"note":"mine"`)
	assert.NotContains(t, string(got), "__authflowLease")
	var back struct {
		Picked map[string]any `json:"picked"`
	}
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, true, back.Picked["ok"])
	assert.NotContains(t, back.Picked, "user", "the picked user is hidden")
	assert.Contains(t, back.Picked["session"], "clientId")
	assert.NotContains(t, string(got), "Token\":", "no token of the session")
}
