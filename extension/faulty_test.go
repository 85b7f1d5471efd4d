package extension

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultyServer answers every request by the fault named in the first path
// segment of the base URL: /500/api/v2/my/... answers 500, and so on.
func faultyServer(t *testing.T) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code":500,"message":"boom"}`))
		case "badjson":
			_, _ = w.Write([]byte(`{"code": 200, "data": {`))
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html>maintenance</html>`))
		case "shape":
			_, _ = w.Write([]byte(`{"code": 200, "data": [], "done": "yes", "uuid": 42}`))
		case "workflow":
			_, _ = w.Write([]byte(`{"code": 200, "data": null, "done": false, "uuid": "u-1", "workflow": "reset_password"}`))
		case "slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			case <-done:
			}
			_, _ = w.Write([]byte(`{}`))
		case "reset":
			hj, ok := w.(http.Hijacker)
			if !ok {
				return
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				_ = conn.Close()
			}
		case "huge":
			_, _ = w.Write([]byte(`{"code":200,"data":"`))
			chunk := []byte(strings.Repeat("a", 64*1024))
			for range 40 { // 2.5 MiB, past the 1 MiB bound
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "echo":
			// A 4xx that echoes the request body back in its message.
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":400,"message":"bad credentials for Sup3rSecretPw","errors":{}}`))
		case "lock":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"code":429,"message":"too many attempts"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(func() {
		close(done)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func TestFaultyServer(t *testing.T) {
	t.Parallel()
	srv := faultyServer(t)
	v := newTestVU(t, nil).toVU()
	v.run(fmt.Sprintf(`var base = %q;
		function client(mode) {
			return new authflow.Client({ baseURL: base + '/' + mode, timeout: '400ms',
				codes: { source: 'fixed', code: '123456' } });
		}
		var user = { email: 'a@example.test', password: 'Sup3rSecretPw', totpSecret: 'JBSWY3DPEHPK3PXP', twoFactor: ['google'] };`, srv.URL))

	cases := []struct {
		mode, step, reason string
		status             int
		outcome            string
	}{
		{"500", "signin_wizard", "server error", 500, "failure"},
		{"badjson", "signin_wizard", "", 200, "failure"},
		{"html", "signin_wizard", "", 200, "failure"},
		{"shape", "signin_wizard", "", 200, "failure"},
		{"workflow", "signin_wizard", "", 200, "failure"},
		{"slow", "signin_wizard", "no answer", 0, "failure"},
		{"reset", "signin_wizard", "no answer", 0, "failure"},
		{"huge", "signin_wizard", "no answer", 0, "failure"},
		{"nowhere", "signin_wizard", "rejected", 404, "rejected"},
		{"lock", "signin_wizard", "rate limited", 429, "rate_limited"},
	}
	for _, tc := range cases {
		start := time.Now()
		r := v.obj(fmt.Sprintf(`return client(%q).signIn(user);`, tc.mode))
		assert.Less(t, time.Since(start), 2500*time.Millisecond, tc.mode)
		assert.Equal(t, false, r["ok"], tc.mode)
		assert.Equal(t, tc.outcome, r["outcome"], tc.mode)
		assert.Equal(t, tc.step, r["step"], tc.mode)
		assert.EqualValues(t, tc.status, r["status"], tc.mode)
		assert.Contains(t, r["reason"], tc.reason, tc.mode)
		assert.NotEmpty(t, r["reason"], tc.mode)
		assert.Equal(t, "signin_totp", r["flow"], tc.mode) // predicted from the user's TOTP secret
		assert.Nil(t, r["session"], tc.mode)
		t.Logf("%-9s %v", tc.mode, r["reason"])
	}

	// The slow answer is a timeout, the reset a connection error, the huge
	// body the size bound: each says so.
	r := v.obj(`return client('slow').signIn(user);`)
	assert.Contains(t, r["reason"], "timeout")
	r = v.obj(`return client('huge').signIn(user);`)
	assert.Contains(t, r["reason"], "larger than")
	r = v.obj(`return client('lock').signIn(user);`)
	assert.EqualValues(t, 7, r["retryAfter"])

	// A server echoing the password never gets it into the reason.
	r = v.obj(`return client('echo').steps.signIn('u-1', user.email, user.password);`)
	assert.Equal(t, "rejected", r["outcome"])
	assert.NotContains(t, r["reason"], "Sup3rSecretPw")

	// throw: true turns a failed step into an AuthflowError naming it.
	err := v.runErr(`new authflow.Client({ baseURL: base + '/500', throw: true }).signIn(user)`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AuthflowError")
	assert.Contains(t, err.Error(), "authflow: signin_totp at step signin_wizard (HTTP 500): server error")
	v.run(`try { new authflow.Client({ baseURL: base + '/500', throw: true }).signIn(user); throw 'no' } catch (e) {
		if (e.name !== 'AuthflowError' || e.status !== 500 || e.step !== 'signin_wizard' || e.result.ok !== false) throw e;
	}`)

	samples := v.drain()
	m := byMetric(samples)
	require.NotEmpty(t, m["http_reqs"])
	require.NotEmpty(t, m[MetricStepDuration])
	require.NotEmpty(t, m[MetricFlows])
	assert.ElementsMatch(t, []string{"GET /api/v2/my/signin/wizard", "POST /api/v2/my/signin"}, tagValues(m["http_reqs"], "name"))
	assert.Contains(t, tagValues(m["http_reqs"], "flow"), "signin_totp")
	assert.Contains(t, tagValues(m[MetricFlows], "outcome"), "failure")
	assert.Contains(t, tagValues(m[MetricFlows], "outcome"), "rate_limited")
	// rate_limited flows are left out of the failure rate, failures count as 1.
	for _, s := range m[MetricFlowFailed] {
		assert.Equal(t, 1.0, s.Value)
	}
	assert.Len(t, m[MetricRateLimited], 2)
	assertNoSecrets(t, samples, v.logs.AllEntries(), "Sup3rSecretPw", "JBSWY3DPEHPK3PXP", "a@example.test")
}

func TestInitContextForbidsRequests(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil)
	v.run(`var c = new authflow.Client({ baseURL: 'http://127.0.0.1:1' });`)
	err := v.runErr(`c.signIn({ email: 'a@b.c', password: 'x' })`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "init context")
	err = v.runErr(`c.steps.signInWizard()`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "init context")
}

func TestClientOptionsAreStrict(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil)
	for js, want := range map[string]string{
		`new authflow.Client({ baseURL: 'http://x', timout: '1s' })`:                     `unknown option "timout"`,
		`new authflow.Client({})`:                                                        "baseURL is required",
		`new authflow.Client({ baseURL: 'ftp://x' })`:                                    "http:// or https://",
		`new authflow.Client({ baseURL: 'http://x', timeout: 'soon' })`:                  "not a duration",
		`new authflow.Client({ baseURL: 'http://x', onLockout: 'retry' })`:               "onLockout must be one of",
		`new authflow.Client({ baseURL: 'http://x', profile: 'okta' })`:                  "profile must be one of",
		`new authflow.Client({ baseURL: 'http://x', codes: { source: 'mail' } })`:        "codes.source must be one of",
		`new authflow.Client({ baseURL: 'http://x', codes: { source: 'fixed' } })`:       "codes.code is required",
		`new authflow.Client({ baseURL: 'http://x', codes: { source: 'url' } })`:         "codes.url is required",
		`new authflow.Client({ baseURL: 'http://x', codes: { source: 'callback' } })`:    "codes.fn must be a function",
		`new authflow.Client({ baseURL: 'http://x', codes: { source: 'fixed', x: 1 } })`: `unknown option "x"`,
		`new authflow.Client({ baseURL: 'http://x', tags: { a: {} } })`:                  "tags.a must be a string",
		`new authflow.Client({ baseURL: 'http://x', throw: 'yes' })`:                     "throw must be true or false",
		`new authflow.UserPicker([{ email: 'a@b' }], { rat: 1 })`:                        `unknown option "rat"`,
		`new authflow.UserPicker([], {})`:                                                "empty",
		`authflow.totp('not base32 !!')`:                                                 "base32",
	} {
		err := v.runErr(js)
		if assert.Error(t, err, js) {
			assert.Contains(t, err.Error(), want, js)
		}
	}
	v.run(`new authflow.Client({ baseURL: 'http://x', timeout: 1500, maxLockoutWait: '2m', headers: { 'X-A': 'b' },
		tags: { team: 'auth' }, expectedStatuses: [200, { min: 300, max: 399 }], onLockout: 'wait',
		codes: { source: 'callback', fn: function (to, ch) { return '123456'; } } })`)
}
