package refserver

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// secret is put in every secret-looking field of the bad requests below: no
// answer may echo it.
const secret = "S3cr3t-Never-Echoed-864209"

type endpoint struct {
	method, path string
	bearer       bool
	body         map[string]any // a well-formed body; nil: the call takes none
	required     []string       // fields that must be present
}

func b2Endpoints() []endpoint {
	uuid := "36f59381-5b54-48bd-a0c7-3b908c476732" // well-formed, unknown
	return []endpoint{
		{"POST", "/api/v2/my/signin", false, map[string]any{"uuid": uuid, "email": "x@authflow.test", "password": secret, "device_fingerprint": fingerprint}, []string{"uuid", "email", "password", "device_fingerprint"}},
		{"POST", "/api/v2/my/refresh", false, map[string]any{"refreshToken": secret}, []string{"refreshToken"}},
		{"POST", "/api/v2/my/signout", true, nil, nil},
		{"POST", "/api/v2/my/signin/password/restore", false, map[string]any{"uuid": uuid, "action": "code", "code": secret}, []string{"uuid", "action", "code"}},
		{"POST", "/api/v2/my/signin/password/reset", false, map[string]any{"uuid": uuid, "password": secret, "passwordConfirmation": secret}, []string{"uuid", "password", "passwordConfirmation"}},
		{"GET", "/api/v2/my/signin/wizard", false, nil, nil},
		{"GET", "/api/v2/my/signin/qrcodes", false, nil, nil},
		{"POST", "/api/v2/my/signin/tokens", true, map[string]any{"channelId": uuid}, []string{"channelId"}},
		{"POST", "/api/v2/my/signin/qrcodes", false, map[string]any{"deviceFingerprint": fingerprint, "authorizationToken": secret}, []string{"deviceFingerprint", "authorizationToken"}},
		{"POST", "/api/v2/my/signin/2fa", false, map[string]any{"uuid": uuid, "type": "google"}, []string{"uuid", "type"}},
		{"POST", "/api/v2/my/2fa/google", false, map[string]any{"uuid": uuid, "code": secret}, []string{"uuid", "code"}},
		{"POST", "/api/v2/my/2fa/sms", false, map[string]any{"uuid": uuid, "code": secret}, []string{"uuid", "code"}},
		{"GET", "/api/v2/my/2fa/challenge", true, nil, nil},
		{"GET", "/api/v2/my/2fa/unauthorized/challenge?email=x@authflow.test", false, nil, nil},
		{"POST", "/api/v2/my/2fa/challenge", false, map[string]any{"token": secret, "code": secret}, []string{"token", "code"}},
		{"GET", "/api/v2/my/2fa", true, nil, nil},
		{"GET", "/api/v2/my/2fa/google", true, nil, nil},
		{"GET", "/api/v2/my/2fa/sms/enable/wizard", true, nil, nil},
		{"GET", "/api/v2/my/2fa/google/disable/wizard", true, nil, nil},
		{"POST", "/api/v2/my/2fa/wizard", true, map[string]any{"uuid": uuid, "action": "code", "code": secret, "key": secret}, []string{"uuid"}},
		{"GET", "/api/v2/my/2fa/changes", true, nil, nil},
		{"GET", "/api/v2/my/2fa/changes/1", true, nil, nil},
		{"POST", "/api/v2/my/password/change", true, map[string]any{"password": secret}, []string{"password"}},
		{"POST", "/api/v2/my/password/restore", false, map[string]any{"password": secret}, []string{"password"}},
		{"GET", "/api/v2/my/password/changes", true, nil, nil},
		{"GET", "/api/v2/my/password/changes/1", true, nil, nil},
		{"PUT", "/__hooks/policy", false, map[string]any{"signin": map[string]any{"attempts": 5, "windowSeconds": 60, "blockSeconds": 600}, "refresh": map[string]any{"attempts": 5, "windowSeconds": 60, "blockSeconds": 600}}, nil},
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	access := h.login(h.client(), "").AccessToken.Token

	check := func(t *testing.T, r response, want ...int) {
		t.Helper()
		require.GreaterOrEqual(t, r.status, 400, "%s", r.body)
		require.Less(t, r.status, 500, "%s", r.body)
		if len(want) > 0 {
			require.Contains(t, want, r.status, "%s", r.body)
		}
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		var e struct {
			Code    *int              `json:"code"`
			Message *string           `json:"message"`
			Errors  map[string]string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(r.body, &e), "%s", r.body)
		require.NotNil(t, e.Code)
		require.Equal(t, r.status, *e.Code)
		require.NotNil(t, e.Message)
		require.NotNil(t, e.Errors)
		require.NotContains(t, string(r.body), secret)
	}
	for _, ep := range b2Endpoints() {
		hdr := []string{}
		if ep.bearer {
			hdr = bearerHdr(access)
		}
		name := ep.method + " " + strings.SplitN(ep.path, "?", 2)[0]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wrongMethod := "DELETE"
			t.Run("err/wrong-method", func(t *testing.T) {
				r := h.do(wrongMethod, ep.path, nil, hdr...)
				check(t, r, http.StatusMethodNotAllowed)
				require.NotEmpty(t, r.header.Get("Allow"))
			})
			if ep.bearer {
				for _, bad := range []string{"", "Bearer", "Bearer " + secret, "Token " + access, "Bearer " + access + "x"} {
					t.Run("err/bad-bearer", func(t *testing.T) {
						body := any(nil)
						if ep.body != nil {
							body = ep.body
						}
						check(t, h.do(ep.method, ep.path, body, "Authorization", bad), http.StatusUnauthorized)
					})
				}
			}
			if ep.body == nil {
				return
			}
			bodies := map[string]struct {
				body any
				want []int
			}{
				"err/malformed-json":   {raw(`{"uuid": "x", "password": "` + secret + `"`), []int{400}},
				"err/trailing-garbage": {raw(`{"password":"` + secret + `"} {}`), []int{400}},
				"err/not-an-object":    {raw(`["` + secret + `"]`), []int{400}},
				"err/empty-body":       {raw(""), []int{400}},
				"err/oversized":        {raw(`{"password":"` + strings.Repeat("x", MaxBodyBytes) + `"}`), []int{413}},
				"err/null-body":        {raw(`null`), nil},
				"err/empty-object":     {raw(`{}`), nil},
			}
			for field := range ep.body {
				b := maps.Clone(ep.body)
				b[field] = []int{1, 2}
				bodies["err/mistyped-"+field] = struct {
					body any
					want []int
				}{b, []int{400, 422}}
			}
			for _, field := range ep.required {
				b := maps.Clone(ep.body)
				delete(b, field)
				bodies["err/missing-"+field] = struct {
					body any
					want []int
				}{b, []int{422}}
				b = maps.Clone(ep.body)
				b[field] = ""
				bodies["err/empty-"+field] = struct {
					body any
					want []int
				}{b, []int{422}}
			}
			if _, ok := ep.body["uuid"]; ok {
				bodies["err/unknown-uuid"] = struct {
					body any
					want []int
				}{ep.body, []int{409, 422}}
			}
			for name, tc := range bodies {
				t.Run(name, func(t *testing.T) {
					r := h.do(ep.method, ep.path, tc.body, hdr...)
					if ep.path == "/__hooks/policy" || (ep.required == nil && strings.HasPrefix(name, "err/empty-object")) {
						require.Less(t, r.status, 500)
						if r.status >= 400 {
							check(t, r)
						}
						return
					}
					check(t, r, tc.want...)
				})
			}
			t.Run("ok/unknown-fields-tolerated", func(t *testing.T) {
				b := maps.Clone(ep.body)
				b["someUnknownField"] = map[string]any{"nested": []int{1}}
				with := h.do(ep.method, ep.path, b, hdr...)
				without := h.do(ep.method, ep.path, ep.body, hdr...)
				require.Equal(t, without.status, with.status, "%s", with.body)
			})
		})
	}
}

func TestNotFoundAndMethodJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"err/unknown-path", "GET", "/api/v2/my/nothing-here", 404},
		{"err/root", "GET", "/", 404},
		{"err/unknown-2fa-type", "GET", "/api/v2/my/2fa/email/enable/wizard", 401}, // auth comes first
		{"err/post-on-get", "POST", "/api/v2/my/2fa", 405},
		{"err/get-on-post", "GET", "/api/v2/my/signin", 405},
		{"err/put-on-capillary", "PUT", "/auth/v1/mfa/password/change", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := h.do(tc.method, tc.path, nil)
			e := r.requireError(t, tc.status)
			if tc.status == 405 {
				require.Contains(t, e.Message, tc.method)
				require.NotEmpty(t, r.header.Get("Allow"))
			}
		})
	}
}

// A panic in a handler is answered 500 JSON and logged, never a dropped
// connection; no endpoint panics in the tests above.
func TestRecoverMiddleware(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.mux.HandleFunc("GET /__test/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	req, _ := http.NewRequest("GET", h.ts.URL+"/__test/panic", nil)
	resp, err := h.ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	var e map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	require.EqualValues(t, 500, e["code"])
}
