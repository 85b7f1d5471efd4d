package b2core_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
)

// Values the tests send; no reason or error may ever contain one.
const (
	testEmail    = "jdoe@example.com"
	testPassword = "Secret123pw"
	testNewPass  = "N3wPassw0rd!"
	testCode     = "761522"
	testAccess   = "access-SECRET-0123456789abcdef"
	testRefresh  = "refresh-SECRET-0123456789abcdef"
	testSuccess  = "success-SECRET-0123456789abcdef"
	testConfirm  = "confirm-SECRET-0123456789abcdef"
	testPhone    = "+79994445561"
	testUUID     = "36f59381-5b54-48bd-a0c7-3b908c476732"
	// RFC 6238 Appendix B SHA-1 seed, base32.
	rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

var secrets = []string{testPassword, testNewPass, testCode, testAccess, testRefresh, testSuccess, testConfirm, rfcSecret}

// example returns a documents' example answer from testdata/examples.
func example(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "examples", name+".json"))
	require.NoError(t, err)
	return string(b)
}

// fakeAPI is an httptest server answering routes ("POST /api/v2/my/signin")
// and recording what it was asked.
type fakeAPI struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  map[string]int
	bodies map[string][]string
}

func newFake(t testing.TB, routes map[string]http.HandlerFunc) *fakeAPI {
	f := &fakeAPI{routes: routes, calls: map[string]int{}, bodies: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.calls[key]++
		f.bodies[key] = append(f.bodies[key], string(b))
		h, ok := f.routes[key]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"code":404,"message":"no route"}`, http.StatusNotFound)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeAPI) body(key string, i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.bodies[key]) {
		return ""
	}
	return f.bodies[key][i]
}

// reply answers status with body (JSON).
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// sequence answers the handlers in turn, the last one from then on.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(i, len(hs)-1)]
		i++
		mu.Unlock()
		h(w, r)
	}
}

// hijackReset closes the connection without an answer.
func hijackReset(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		_ = conn.Close()
	}
}

// slow answers only after the client gave up.
func slow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
	reply(200, `{}`)(w, r)
}

// newClient returns a client of f through a recorder, with a 2 s timeout
// (300 ms for the slow cases).
func newClient(f *fakeAPI, cfg b2core.Config, timeout time.Duration) (*b2core.Client, *testutil.Recorder) {
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport(f.URL, timeout)}
	cfg.Transport = rec
	return b2core.New(cfg), rec
}

// assertNoSecrets fails if s holds any test secret.
func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, v := range secrets {
		if strings.Contains(s, v) {
			t.Fatalf("%q holds the secret %q", s, v)
		}
	}
}

// stepErr asserts err is a *StepError and returns it.
func stepErr(t *testing.T, err error) *b2core.StepError {
	t.Helper()
	require.Error(t, err)
	var se *b2core.StepError
	require.ErrorAs(t, err, &se)
	assertNoSecrets(t, err.Error())
	assertNoSecrets(t, se.Reason)
	return se
}
