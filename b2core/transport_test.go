package b2core_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 4)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- "api " + r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("Content-Type") + " " + r.Header.Get("X-Extra") + " " + r.Header.Get("successToken") + " " + string(b)
		w.Header().Set("X-Answer", "1")
		w.WriteHeader(418)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(api.Close)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- "hooks " + r.Method + " " + r.URL.RequestURI()
		w.WriteHeader(204)
	}))
	t.Cleanup(hooks.Close)

	tr := b2core.NewHTTPTransport(api.URL+"/", time.Second)
	tr.Header = http.Header{"X-Extra": {"x"}}
	cases := []struct {
		name     string
		req      b2core.Request
		wantSeen string
		status   int
	}{
		{name: "ok/relative_path", req: b2core.Request{Method: "POST", Path: "/api/v2/my/signin?a=1", Body: []byte(`{"a":1}`),
			Header: http.Header{"Successtoken": {"st"}}},
			wantSeen: "api POST /api/v2/my/signin?a=1 application/json x st {\"a\":1}", status: 418},
		{name: "ok/absolute_http_url", req: b2core.Request{Method: "GET", Path: hooks.URL + "/__hooks/messages/latest?to=a%40b"},
			wantSeen: "hooks GET /__hooks/messages/latest?to=a%40b", status: 204},
		{name: "ok/absolute_url_upper_case_scheme", req: b2core.Request{Method: "GET", Path: "HTTP" + hooks.URL[4:] + "/x"},
			wantSeen: "hooks GET /x", status: 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tr.Do(t.Context(), &tc.req)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.Status)
			assert.Equal(t, tc.wantSeen, <-seen)
			assert.Positive(t, resp.Duration)
		})
	}
	t.Run("ok/answer_kept", func(t *testing.T) {
		resp, err := tr.Do(t.Context(), &b2core.Request{Method: "GET", Path: "/"})
		require.NoError(t, err)
		<-seen
		assert.Equal(t, "1", resp.Header.Get("X-Answer"))
		assert.JSONEq(t, `{"ok":true}`, string(resp.Body))
	})
	t.Run("ok/url", func(t *testing.T) {
		assert.Equal(t, api.URL+"/p", tr.URL("/p"))
		assert.Equal(t, "https://h/x", tr.URL("https://h/x"))
		assert.True(t, b2core.IsAbsoluteURL("https://h"))
		assert.False(t, b2core.IsAbsoluteURL("/https://h"))
	})
	t.Run("ok/nil_http_client", func(t *testing.T) {
		tr := &b2core.HTTPTransport{BaseURL: hooks.URL}
		resp, err := tr.Do(t.Context(), &b2core.Request{Method: "GET", Path: "/nil"})
		require.NoError(t, err)
		assert.Equal(t, 204, resp.Status)
		<-seen
	})
	t.Run("err/bad_method", func(t *testing.T) {
		_, err := tr.Do(t.Context(), &b2core.Request{Method: "BAD METHOD", Path: "/"})
		assert.Error(t, err)
	})
	t.Run("err/body_limit", func(t *testing.T) {
		big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(make([]byte, b2core.MaxResponseBody+100))
		}))
		defer big.Close()
		resp, err := b2core.NewHTTPTransport(big.URL, time.Second).Do(t.Context(), &b2core.Request{Method: "GET", Path: "/"})
		require.NoError(t, err)
		assert.Len(t, resp.Body, b2core.MaxResponseBody)
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, v string
		want    time.Duration
	}{
		{name: "ok/seconds", v: "600", want: 600 * time.Second},
		{name: "ok/zero", v: "0", want: 0},
		{name: "ok/spaces", v: " 5 ", want: 5 * time.Second},
		{name: "ok/http_date", v: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second},
		{name: "ok/past_date", v: now.Add(-time.Hour).Format(http.TimeFormat), want: 0},
		{name: "ok/huge", v: "999999999999999999999999", want: time.Duration(1<<63 - 1).Truncate(time.Second)},
		{name: "err/empty", v: "", want: 0},
		{name: "err/negative", v: "-5", want: 0},
		{name: "err/garbage", v: "soon", want: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := b2core.ParseRetryAfter(tc.v, now)
			if tc.name == "ok/huge" {
				assert.Greater(t, got, 100*365*24*time.Hour)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
