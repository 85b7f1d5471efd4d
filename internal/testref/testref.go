// Package testref starts the reference server in-process for the tests of
// the packages that talk to it. It is imported by tests only.
package testref

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// Start starts the reference server with cfg behind an httptest server on
// loopback and closes both when the test ends. wrap, when given, stands
// between the two (a delay, a recorder).
func Start(t testing.TB, cfg refserver.Config, wrap ...func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	srv, err := refserver.New(cfg)
	require.NoError(t, err)
	var h http.Handler = srv
	for _, w := range wrap {
		h = w(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		_ = srv.Close()
	})
	return ts
}
