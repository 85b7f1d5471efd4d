package conformance

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// TestBurstIsSynchronized: the requests of a burst each come on their own
// connection, opened before the burst, and are all in the server at once
// (a handler that waits for all of them answers 200 only then).
func TestBurstIsSynchronized(t *testing.T) {
	t.Parallel()
	const n = 8
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
		conns   atomic.Int32
	)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			w.WriteHeader(http.StatusOK)
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()

	cfg := &Config{Target: ts.URL}
	cfg.ApplyDefaults()
	r := &run{cfg: cfg, api: &b2core.HTTPTransport{BaseURL: ts.URL, Client: ts.Client()}}
	tt := newT(context.Background(), r, &Check{ID: "X-1"})
	reqs := make([]burstReq, n)
	for i := range reqs {
		reqs[i] = burstReq{step: "burst", method: http.MethodGet, path: "/"}
	}
	var xs []*X
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("the burst ended the check: %v %v", p, tt.reasons)
			}
		}()
		xs = tt.burst(reqs)
	}()
	require.Len(t, xs, n)
	for _, x := range xs {
		assert.Equal(t, http.StatusOK, x.Status(), "all %d requests must be in the server at once", n)
	}
	assert.EqualValues(t, n, conns.Load(), "one connection per request")
	assert.Equal(t, n, tt.requests)
}
