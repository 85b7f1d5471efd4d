package extension

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// TestDeclarationsMatchRuntime compares index.d.ts, as the TypeScript
// compiler reads it (testdata/declarations.cjs), with what the module
// really offers: its exports and the properties of its objects as a script
// sees them (Object.keys in a real sobek runtime), and the keys each strict
// options decoder accepts (the `js` tags of its Go struct). A class, method
// or option added or removed on one side only fails here.
func TestDeclarationsMatchRuntime(t *testing.T) {
	decl := readDeclarations(t)
	v := newTestVU(t, nil)

	var exports []string
	for k := range v.mi.Exports().Named {
		exports = append(exports, k)
	}
	assert.ElementsMatch(t, decl.Exports, exports, "module exports (index.d.ts vs runtime)")

	var objects map[string][]string
	require.NoError(t, json.Unmarshal([]byte(v.run(`JSON.stringify((() => {
		const client = new authflow.Client({ baseURL: 'http://127.0.0.1:9' });
		const users = [{ email: 'a@example.com', password: 'pw' }];
		return {
			Client: Object.keys(client),
			Steps: Object.keys(client.steps),
			Hooks: Object.keys(new authflow.Hooks('http://127.0.0.1:9')),
			UserPicker: Object.keys(new authflow.UserPicker(users, { name: 'types' })),
			SessionPool: Object.keys(new authflow.SessionPool(client, users, { name: 'types', size: 1 })),
		};
	})())`).String()), &objects))
	for name, keys := range objects {
		assert.ElementsMatch(t, decl.Types[name], keys, "properties of %s (index.d.ts vs runtime)", name)
	}

	// Each strict decoder against the declaration of the argument it reads.
	for _, c := range []struct {
		decl string
		opts any
	}{
		{"ClientOptions", clientOptions{}},
		{"Client.constructor#0", clientOptions{}},
		{"CodeSourceOptions", codesOptions{}},
		{"SignInOptions", signInOptions{}},
		{"HistoryQuery", historyOptions{}},
		{"StepParams", stepParams{}},
		{"Limit", Limit{}},
		{"UserPickerOptions", pickerOptions{}},
		{"UserPickerStats", pickerStats{}},
		{"SessionPoolOptions", poolOptions{}},
		{"Policy", policyOptions{}},
		{"Hooks.constructor#1", hooksOptions{}},
		{"Hooks.createClient#0", createOptions{}},
		{"Hooks.createClients#1", createOptions{}},
		{"Client.capillaryChangePassword#0", capillaryOptions{}},
		{"Steps.capillaryChange#0", capillaryChangeOptions{}},
		{"Steps.tfaWizard#1", wizardRequest{}},
	} {
		declared, ok := decl.Types[c.decl]
		if !ok {
			declared, ok = decl.Params[c.decl]
		}
		if assert.True(t, ok, "index.d.ts declares no %s", c.decl) {
			assert.ElementsMatch(t, declared, jsKeys(reflect.TypeOf(c.opts)),
				"options of %s (index.d.ts vs the keys the runtime accepts)", c.decl)
		}
	}
}

// declarations is what testdata/declarations.cjs prints.
type declarations struct {
	Exports []string            `json:"exports"`
	Types   map[string][]string `json:"types"`
	Params  map[string][]string `json:"params"`
}

// readDeclarations runs the TypeScript compiler over index.d.ts. It needs
// node and the pinned typescript package (`npm ci` at the repository root,
// which make test runs); without them it skips, unless AUTHFLOW_REQUIRE_TOOLS
// is set (make test sets it) and it fails.
func readDeclarations(t *testing.T) declarations {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("..", "node_modules", "typescript", "package.json"))
	}
	if err != nil {
		if os.Getenv("AUTHFLOW_REQUIRE_TOOLS") != "" {
			t.Fatalf("node and the typescript package are needed (npm ci at the repository root): %v", err)
		}
		t.Skipf("node or node_modules/typescript missing (run npm ci at the repository root): %v", err)
	}
	out, err := exec.Command(node, filepath.Join("testdata", "declarations.cjs"), filepath.Join("..", "index.d.ts")).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("reading index.d.ts: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var d declarations
	require.NoError(t, json.Unmarshal(out, &d))
	require.NotEmpty(t, d.Exports)
	return d
}

// jsKeys lists the `js` tags of a struct type, embedded structs included:
// the keys decodeOptions accepts.
func jsKeys(typ reflect.Type) []string {
	var keys []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			keys = append(keys, jsKeys(f.Type)...)
			continue
		}
		if tag, _, _ := strings.Cut(f.Tag.Get("js"), ","); tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	sort.Strings(keys)
	return keys
}

// TestResultKeysDeclared reads the properties a script sees (Object.keys)
// on the results of real flows against the reference server: each is
// declared on the result's interface in index.d.ts, so a field added to a
// result at runtime only fails here.
func TestResultKeysDeclared(t *testing.T) {
	decl := readDeclarations(t)
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'hooks' } });`)
	var objects map[string][]string
	require.NoError(t, json.Unmarshal([]byte(v.run(`JSON.stringify((() => {
		const user = hooks.createClient({ twoFactor: ['google'] });
		const signIn = c.signIn(user);
		if (!signIn.ok) throw new Error('sign-in: ' + signIn.reason);
		const enabled = c.enableSMS(signIn.session, '+15550100003');
		if (!enabled.ok) throw new Error('enable SMS: ' + enabled.reason);
		const changes = c.tfaChanges(signIn.session);
		const refresh = c.refresh(signIn.session);
		const failed = c.signIn({ email: user.email, password: 'wrong-password' });
		return {
			SignInResult: Object.keys(signIn).concat(Object.keys(failed)),
			Session: Object.keys(signIn.session),
			StepRecord: Object.keys(signIn.steps[0]),
			HistoryResult: Object.keys(changes),
			TFAChange: Object.keys(changes.items[0] || {}),
			SessionResult: Object.keys(refresh),
			User: Object.keys(user),
		};
	})())`).String()), &objects))
	for name, keys := range objects {
		declared, ok := decl.Types[name]
		if !assert.True(t, ok, "index.d.ts declares no %s", name) {
			continue
		}
		assert.NotEmpty(t, keys, "%s: no properties read", name)
		for _, k := range keys {
			assert.Contains(t, declared, k, "%s.%s is on the runtime object but not in index.d.ts", name, k)
		}
	}
}
