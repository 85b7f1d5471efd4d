package extension

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// oddArguments are argument lists no call of the API expects. Each must
// give a result or a JS exception, never a Go panic (which would end the
// whole k6 process, not only the iteration).
var oddArguments = []string{
	``, `undefined`, `null`, `0`, `-1`, `1e309`, `NaN`, `'x'`, `''`, `true`, `{}`, `[]`, `[,]`, `[null]`,
	`{ email: 1 }`, `{ email: 'a@example.test' }`, `function () {}`, `Symbol('s')`, `new Date(NaN)`,
	`{}, {}`, `'x', 'y', 'z', 'w'`, `{}, { x: 1 }`, `null, null, null`, `{ valueOf: function () { throw new Error('v'); } }`,
	`Object.create(null)`, `{ length: 3 }`, `[{}, {}]`, `'x', { expectedStatuses: [{}] }`, `'x', { tags: [] }`,
	`'x', undefined, 1`, `{ email: 'a@example.test', password: 'p' }, { method: 1 }`, `{ accessToken: 1 }, 'x', {}`,
	`{ accessToken: 'a', refreshToken: 'r' }, 'a@example.test', { limit: -1, sortOrder: 1 }`,
}

// TestOddArgumentsNeverPanic calls every function of the JS API, on every
// object it has, with each of oddArguments, against the reference server.
func TestOddArgumentsNeverPanic(t *testing.T) {
	t.Parallel()
	srv := refServer(t, refserver.Config{})
	setup := fmt.Sprintf(`var base = %q;
		var targets = {
			authflow: authflow,
			client: new authflow.Client({ baseURL: base, codes: { source: 'fixed', code: '123456' } }),
			capillary: new authflow.Client({ baseURL: base, profile: 'capillary' }),
			hooks: new authflow.Hooks(base + '/__hooks'),
			picker: new authflow.UserPicker([{ email: 'a@example.test', password: 'x' }], { maxWait: '5ms' }),
			pool: new authflow.SessionPool(new authflow.Client({ baseURL: base }), [{ email: 'a@example.test', password: 'x' }], { size: 1 }),
		};
		targets.steps = targets.client.steps;
		var messages = {};
		function said(e, where) {
			// openUsers belongs to the users-file work, checked there.
			if (where && where.indexOf('authflow.openUsers(') === 0) return;
			try { messages[String(e && e.message !== undefined ? e.message : e) + ' @ ' + (where || 'new')] = true; } catch (x) {}
		}
		function callables(o) {
			var out = [];
			for (var k in o) {
				try { if (typeof o[k] === 'function') out.push(k); } catch (e) {}
			}
			return out;
		}`, srv.URL)
	v := newTestVU(t, nil)
	v.run(setup)
	v.toVU()
	names := v.run(`var all = []; for (var t in targets) callables(targets[t]).forEach(function (m) { all.push(t + '.' + m); }); all.join(',')`).String()
	calls := strings.Split(names, ",")
	require.Greater(t, len(calls), 40, "the API's functions: %s", names)
	t.Logf("%d functions × %d argument lists: %s", len(calls), len(oddArguments), names)

	var panics []string
	for _, call := range calls {
		obj, method, _ := strings.Cut(call, ".")
		for _, args := range oddArguments {
			js := fmt.Sprintf(`try { var r = targets.%s.%s(%s); if (r && typeof r.reason === 'string') said(r.reason); }
				catch (e) { said(e, %q); if (!(e instanceof Error) && typeof e !== 'object') throw e; }`, obj, method, args, call+"("+args+")")
			if isCtor := method == "Client" || method == "UserPicker" || method == "SessionPool" || method == "Hooks"; isCtor {
				js = fmt.Sprintf(`try { new targets.%s.%s(%s); } catch (e) { said(e); }`, obj, method, args)
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						panics = append(panics, fmt.Sprintf("%s(%s): %v at %s", call, args, r, panicSite()))
						// A panic may leave the runtime half-way: start over.
						v = newTestVU(t, nil)
						v.run(setup)
						v.toVU()
					}
				}()
				_ = v.runErr(js)
			}()
		}
	}
	require.Emptyf(t, panics, "%d panics:\n%s", len(panics), strings.Join(panics, "\n"))

	// Every error and reason speaks the script's language, not Go's.
	said := strings.Split(v.run(`Object.keys(messages).join('\n')`).String(), "\n")
	require.Greater(t, len(said), 50)
	var goish []string
	for _, m := range said {
		if goIsm.MatchString(m) {
			goish = append(goish, m)
		}
	}
	require.Emptyf(t, goish, "messages that speak Go:\n%s", strings.Join(goish, "\n"))
}

// panicSite is the first frame of this module in a panicking stack.
func panicSite() string {
	lines := strings.Split(string(debug.Stack()), "\n")
	for i, l := range lines {
		if strings.Contains(l, "github.com/authflow/authflow/") && !strings.Contains(l, "_test.go") &&
			!strings.Contains(l, "sweep_test") && i+1 < len(lines) && !strings.Contains(lines[i+1], "_test.go") {
			return strings.TrimSpace(lines[i+1])
		}
	}
	return "?"
}
