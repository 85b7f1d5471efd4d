package refserver

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(benchChildEnv); mode != "" {
		os.Exit(benchChild(mode)) // bench_test.go: this process is the server under measurement
	}
	// Every test closes its servers: no goroutine may outlive the package.
	goleak.VerifyTestMain(m)
}

// Close stops the janitor and the user-hashing worker, also when the worker
// is still busy, and may be called twice.
func TestCloseStopsGoroutines(t *testing.T) {
	// Not parallel: goleak sees only this test's goroutines.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := New(Config{
		Users:           UsersConfig{Count: 20_000},
		JanitorInterval: time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond) // let the janitor sweep a few times
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close())
}

// The janitor forgets expired state.
func TestJanitorSweeps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client("sms")
	tok := h.login(c, "")
	h.wizard()
	h.do("GET", "/api/v2/my/2fa/challenge", nil, bearerHdr(tok.AccessToken.Token)...)
	h.do("GET", "/api/v2/my/signin/qrcodes", nil)
	h.signin(h.wizard(), c.Email, "wrong")
	require.NotZero(t, h.srv.signins.len())
	require.NotZero(t, h.srv.codes.len())
	require.NotZero(t, h.srv.sessions.access.len())
	h.clk.Advance(DefaultRefreshTTL + time.Hour)
	h.srv.sweep()
	for name, n := range map[string]int{
		"signins": h.srv.signins.len(), "codes": h.srv.codes.len(), "outbox": h.srv.outbox.len(),
		"confirmations": h.srv.confirmations.len(), "qr": h.srv.qrChannels.len(),
		"access": h.srv.sessions.access.len(), "refresh": h.srv.sessions.refresh.len(),
	} {
		require.Zero(t, n, name)
	}
	require.Zero(t, h.srv.lockout.blockedFor(c.Email))
	require.Empty(t, h.srv.lockout.shard(c.Email).m)
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"err/negative-ttl":  {AccessTTL: -time.Second},
		"err/bad-hash":      {Hash: HashParams{Time: 1, MemoryKiB: 1, Threads: 1}},
		"err/bad-policy":    {Policy: testPolicy(0)},
		"err/users-too-big": {Users: UsersConfig{Count: MaxUsers + 1}},
		"err/users-file":    {Users: UsersConfig{Count: 1, File: "/nonexistent-dir/users.json"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, err := New(cfg)
			require.Error(t, err)
			require.Nil(t, srv)
		})
	}
}
