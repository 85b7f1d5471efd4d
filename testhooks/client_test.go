package testhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/testhooks"
)

// fakeHooks serves the hooks contract v1 below /__hooks.
type fakeHooks struct {
	mu       sync.Mutex
	policy   testhooks.Policy
	messages []testhooks.Message // answered in turn by /messages/latest, the last one from then on
	polls    atomic.Int32
	reset    []string
	created  []testhooks.CreateClientRequest
}

func (f *fakeHooks) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /__hooks/clients", func(w http.ResponseWriter, r *http.Request) {
		var req testhooks.CreateClientRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"code":400}`, 400)
			return
		}
		f.mu.Lock()
		f.created = append(f.created, req)
		f.mu.Unlock()
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id": 1, "email": "u1@example.com", "password": "Pw-1-secret", "totpSecret": "TPYXG33M4LOHFJHB", "phone": null}`)
	})
	mux.HandleFunc("GET /__hooks/messages/latest", func(w http.ResponseWriter, r *http.Request) {
		n := int(f.polls.Add(1))
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.messages) == 0 || r.URL.Query().Get("to") == "" {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"code":404,"message":"no message"}`)
			return
		}
		m := f.messages[min(n, len(f.messages))-1]
		if m.Code == "" {
			w.WriteHeader(404)
			return
		}
		_ = json.NewEncoder(w).Encode(m)
	})
	mux.HandleFunc("POST /__hooks/clients/{id}/reset-required", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reset = append(f.reset, r.PathValue("id"))
		f.mu.Unlock()
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /__hooks/policy", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(f.policy)
	})
	mux.HandleFunc("PUT /__hooks/policy", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewDecoder(r.Body).Decode(&f.policy)
		_ = json.NewEncoder(w).Encode(f.policy)
	})
	return mux
}

func newHooks(t *testing.T, f *fakeHooks, absolute bool) (*testhooks.HooksClient, *testutil.Recorder) {
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	if absolute {
		rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport("http://api.invalid", time.Second)}
		return testhooks.New(srv.URL+"/__hooks/", rec), rec
	}
	rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport(srv.URL, time.Second)}
	return testhooks.New("/__hooks", rec), rec
}

func TestHooksClient(t *testing.T) {
	t.Parallel()
	for _, absolute := range []bool{false, true} {
		name := map[bool]string{false: "ok/relative_base", true: "ok/absolute_base"}[absolute]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeHooks{policy: testhooks.DefaultPolicy(),
				messages: []testhooks.Message{{To: "u1@example.com", Channel: "email", Code: "123456", SentAt: "2026-01-01T00:00:00+00:00"}}}
			h, rec := newHooks(t, f, absolute)
			ctx := t.Context()

			c, err := h.CreateClient(ctx, testhooks.CreateClientRequest{TwoFactor: []string{"google"}})
			require.NoError(t, err)
			assert.Equal(t, int64(1), c.ID)
			require.NotNil(t, c.TOTPSecret)
			assert.Equal(t, "TPYXG33M4LOHFJHB", *c.TOTPSecret)
			assert.Nil(t, c.Phone)

			_, err = h.CreateClient(ctx, testhooks.CreateClientRequest{})
			require.NoError(t, err)
			assert.Equal(t, []string{}, f.created[1].TwoFactor, "nil two-factor list is sent as []")

			m, err := h.LatestMessage(ctx, "u1@example.com")
			require.NoError(t, err)
			assert.Equal(t, "123456", m.Code)

			require.NoError(t, h.MarkResetRequired(ctx, 42))
			assert.Equal(t, []string{"42"}, f.reset)

			p, err := h.GetPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, testhooks.DefaultPolicy(), *p)
			short := testhooks.Policy{SignIn: testhooks.Limit{Attempts: 3, WindowSeconds: 10, BlockSeconds: 2}, Refresh: testhooks.DefaultPolicy().Refresh}
			p, err = h.PutPolicy(ctx, short)
			require.NoError(t, err)
			assert.Equal(t, short, *p)

			steps := []string{}
			for _, r := range rec.All() {
				steps = append(steps, r.Step)
				assert.Equal(t, testhooks.FlowHooks, r.Flow)
				assert.NotContains(t, r.Name, "/42/")
				assert.NotContains(t, r.Name, "?")
			}
			assert.Equal(t, []string{"hooks_create_client", "hooks_create_client", "hooks_latest_message", "hooks_reset_required", "hooks_get_policy", "hooks_put_policy"}, steps)
		})
	}
}

func TestHooksErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		call    func(ctx context.Context, h *testhooks.HooksClient) error
		is      error
		outcome b2core.Outcome
	}{
		{name: "err/latest_none_json_404", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"code":404,"message":"none"}`)
		}, call: latest, is: testhooks.ErrNoMessage},
		{name: "err/latest_none_empty_404", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, call: latest, is: testhooks.ErrNoMessage},
		{name: "err/latest_route_missing", handler: http.NotFound, call: latest, is: testhooks.ErrUnsupported},
		{name: "err/latest_501", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(501) }, call: latest, is: testhooks.ErrUnsupported},
		{name: "err/create_404", handler: http.NotFound, call: func(ctx context.Context, h *testhooks.HooksClient) error {
			_, err := h.CreateClient(ctx, testhooks.CreateClientRequest{})
			return err
		}, is: testhooks.ErrUnsupported},
		{name: "err/policy_501", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(501) }, call: func(ctx context.Context, h *testhooks.HooksClient) error {
			_, err := h.PutPolicy(ctx, testhooks.DefaultPolicy())
			return err
		}, is: testhooks.ErrUnsupported},
		{name: "err/reset_501", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(501) }, call: func(ctx context.Context, h *testhooks.HooksClient) error {
			return h.MarkResetRequired(ctx, 1)
		}, is: testhooks.ErrUnsupported},
		{name: "err/create_wrong_shape", handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"id":1}`) },
			call: func(ctx context.Context, h *testhooks.HooksClient) error {
				_, err := h.CreateClient(ctx, testhooks.CreateClientRequest{})
				return err
			}, outcome: b2core.OutcomeFailure},
		{name: "err/policy_500", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) },
			call: func(ctx context.Context, h *testhooks.HooksClient) error { _, err := h.GetPolicy(ctx); return err }, outcome: b2core.OutcomeFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			h := testhooks.New(srv.URL, b2core.NewHTTPTransport("http://unused.invalid", time.Second))
			err := tc.call(t.Context(), h)
			require.Error(t, err)
			var se *b2core.StepError
			require.ErrorAs(t, err, &se)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.is == testhooks.ErrNoMessage {
				assert.NotErrorIs(t, err, testhooks.ErrUnsupported)
			}
			if tc.outcome != "" {
				assert.Equal(t, tc.outcome, se.Outcome)
			}
		})
	}
}

func latest(ctx context.Context, h *testhooks.HooksClient) error {
	_, err := h.LatestMessage(ctx, "x@example.com")
	return err
}
