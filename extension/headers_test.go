package extension

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerRecorder answers every request with a 400 and keeps its headers.
type headerRecorder struct {
	mu   sync.Mutex
	seen map[string]http.Header // "METHOD path" -> header
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen[r.Method+" "+r.URL.Path] = r.Header.Clone()
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"message":"no"}`))
}

func (h *headerRecorder) header(t *testing.T, key string) http.Header {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	hdr, ok := h.seen[key]
	require.Truef(t, ok, "no request %s", key)
	return hdr
}

// TestRequestHeaders checks what each request carries: the client's
// headers, Accept, Content-Type with a body, the User-Agent (the client's,
// else the VU's) and a bearer token, whatever the request before it sent.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	rec := &headerRecorder{seen: map[string]http.Header{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		options string
		ua      string
	}{
		{"ok/client-user-agent", `userAgent: 'custom/2.0', headers: { 'x-tenant': 't1', Accept: 'text/plain' }`, "custom/2.0"},
		{"ok/vu-user-agent", `headers: { 'X-Tenant': 't1' }`, "authflow-test/1.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVU(t, nil)
			v.run(fmt.Sprintf(`var c = new authflow.Client({ baseURL: %q, %s });`, srv.URL+"/"+tc.name, tc.options))
			v.toVU()
			v.run(`c.steps.signInWizard();
				c.steps.signIn('u-1', 'a@example.test', 'pw');
				c.signOut({ accessToken: 'acc-token', refreshToken: 'ref-token' });
				c.steps.signInWizard();`)
			base := "/" + tc.name + "/api/v2/my"
			get := rec.header(t, "GET "+base+"/signin/wizard")
			post := rec.header(t, "POST "+base+"/signin")
			for _, h := range []http.Header{get, post} {
				assert.Equal(t, "t1", h.Get("X-Tenant"))
				assert.Equal(t, []string{"application/json"}, h.Values("Accept"))
				assert.Equal(t, tc.ua, h.Get("User-Agent"))
			}
			assert.Empty(t, get.Get("Content-Type"), "a GET has no body")
			assert.Empty(t, get.Get("Authorization"), "the bearer of the sign-out does not stay")
			assert.Equal(t, "application/json", post.Get("Content-Type"))
			out := rec.header(t, "POST "+base+"/signout")
			assert.Equal(t, "Bearer acc-token", out.Get("Authorization"))
			assert.Equal(t, "t1", out.Get("X-Tenant"))
		})
	}
}

// TestAbsentPropertiesAreErrors passes objects without the properties an
// argument needs, and arrays with holes: each is a clear error, never a
// panic (an object's Get gives nil for an absent property).
func TestAbsentPropertiesAreErrors(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil)
	v.run(`var c = new authflow.Client({ baseURL: 'http://127.0.0.1:1' });
		var p = new authflow.UserPicker([{ email: 'a@example.test', password: 'x' }]);`)
	v.toVU()
	tests := []struct {
		name, js, want string
	}{
		{"err/range-without-max", `c.steps.signInWizard({ expectedStatuses: [{ min: 200 }] })`, "{min, max}"},
		{"err/status-hole", `c.steps.signInWizard({ expectedStatuses: [200, , 204] })`, "must be a status"},
		{"err/users-hole", `new authflow.UserPicker([{ email: 'a@b.c' }, , { email: 'c@d.e' }])`, "users[1]"},
		{"err/release-without-email", `p.release({}, 'success')`, ""},
		{"err/release-result-without-outcome", `p.release(p.next(), {})`, "outcome"},
		{"err/tags-hole", `new authflow.Client({ baseURL: 'http://x', codes: { source: 'fixed', code: '1' }, tags: { a: undefined } })`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.runErr(tc.js)
			if tc.want == "" {
				return // no panic is the point; the call may be accepted
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// A session built by the script needs only its tokens.
	v.run(`c.signOut({ accessToken: 'a', refreshToken: 'r' })`)
}
