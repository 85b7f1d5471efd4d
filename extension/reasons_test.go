package extension

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// goIsm matches what a Go program, not a person, would write in a reason:
// a qualified identifier (Credentials.NewPassword, json.RawMessage), a Go
// map or slice type, or a masked Go type.
var goIsm = regexp.MustCompile(`[A-Z][a-z]+\.[A-Z]|map\[|\[\][a-z*]|json\.|want \*\*\*|\*[a-z0-9]+\.[A-Z]`)

// reasonSet collects every reason the package's tests produce.
type reasonSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

var reasons reasonSet

func (s *reasonSet) add(r string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[r] = true
}

// goIsms returns the collected reasons that speak Go.
func (s *reasonSet) goIsms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []string
	for r := range s.seen {
		if goIsm.MatchString(r) {
			bad = append(bad, r)
		}
	}
	sort.Strings(bad)
	return bad
}

// reasonCheck runs the tests, then fails the run if any reason they made
// speaks Go.
type reasonCheck struct{ m *testing.M }

func (r reasonCheck) Run() int {
	code := r.m.Run()
	if bad := reasons.goIsms(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: reasons that speak Go, not the user's language:\n  %s\n", strings.Join(bad, "\n  "))
		return 1
	}
	return code
}

func TestGoIsmPattern(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"google 2FA needs Credentials.TOTPSecret", "want map[string]json.RawMessage, got array",
		"field data: want ***, got object", "want []b2core.TFAChange", "want *b2core.Token",
	} {
		assert.Regexp(t, goIsm, bad)
	}
	for _, good := range []string{
		`the server asks for Google Authenticator (tfaProviders: ["google"]) but the user has no totpSecret`,
		"rejected: Invalid credentials (password: is wrong)", "status.success false (code 401): Unauthorized",
		"wrong shape: field done: expected true or false, got a string",
	} {
		assert.NotRegexp(t, goIsm, good)
	}
}

// A hooksURL where nothing answers fails the first code read at once,
// naming the URL; one whose GET /policy answers 404 (the contract lets a
// deployment leave that hook out) waits for the code as usual, and a code
// that never comes names the URL too.
func TestWrongHooksURLFailsAtOnce(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var refused = new authflow.Client({ baseURL: base, codes: { source: 'hooks', hooksURL: 'http://127.0.0.1:1/__hooks' } });
		var missing = new authflow.Client({ baseURL: base, codes: { source: 'hooks', hooksURL: base + '/no-hooks-here', timeout: '1s' } });
		var right = new authflow.Client({ baseURL: base, codes: { source: 'hooks' } });`)
	start := time.Now()
	out := v.obj(`
		var s = hooks.createClient({ twoFactor: ['sms'] });
		function keep(r) { return { ok: r.ok, step: r.step, reason: r.reason }; }
		return { refused: keep(refused.signIn(s)), refusedAgain: keep(refused.signIn(s)),
			missing: keep(missing.signIn(s)), right: keep(right.signIn(s)) };`)
	assert.Less(t, time.Since(start), 5*time.Second, "no 10-second wait for a code that cannot come")
	assert.Contains(t, out["missing"].(map[string]any)["reason"], "GET /policy", "the hint says what else answered 404")
	for _, k := range []string{"refused", "refusedAgain", "missing"} {
		r := out[k].(map[string]any)
		assert.Equal(t, false, r["ok"], k)
		assert.Equal(t, "2fa_sms", r["step"], k)
		assert.Contains(t, r["reason"], "codes.hooksURL", k)
	}
	assert.Contains(t, out["refused"].(map[string]any)["reason"], "http://127.0.0.1:1/__hooks")
	assert.Contains(t, out["missing"].(map[string]any)["reason"], "/no-hooks-here")
	require.Equal(t, true, out["right"].(map[string]any)["ok"], out["right"])
}
