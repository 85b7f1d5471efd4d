package conformance

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/refserver"
)

// TestSelfMissingHooks checks that a check needing a hook the target does
// not offer is SKIPPED with the reason, never passed or failed, and that
// the checks that need no hook still run.
func TestSelfMissingHooks(t *testing.T) {
	t.Parallel()
	skipWithTarget(t)
	hidden := func(paths ...string) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, p := range paths {
					if strings.HasPrefix(r.URL.Path, p) {
						http.Error(w, `{"code":404,"message":"no such endpoint"}`, http.StatusNotFound)
						return
					}
				}
				h.ServeHTTP(w, r)
			})
		}
	}
	cases := []struct {
		name     string
		rcfg     refserver.Config
		wrap     func(http.Handler) http.Handler
		noHooks  bool
		skipWord string   // in every SKIP reason but the expiry checks'
		mustSkip []string // checks that must SKIP
		mustRun  []string // checks that must PASS
	}{
		{name: "hooks answer 404", rcfg: refserver.Config{DisableHooks: true}, skipWord: "not supported",
			mustSkip: []string{"SIGNIN-001", "LOCK-001", "CAP-001", "INPUT-001"}, mustRun: []string{"SHAPE-001", "QR-001", "TOKEN-008", "QR-005"}},
		{name: "no hooks URL", noHooks: true, skipWord: "no hooks URL",
			mustSkip: []string{"SIGNIN-001", "TFA-007"}, mustRun: []string{"SHAPE-001", "TOKEN-008"}},
		{name: "no messages and no policy hook", wrap: hidden("/__hooks/messages/", "/__hooks/policy"), skipWord: "",
			mustSkip: []string{"TFA-007", "SIGNIN-005", "PWD-003", "LOCK-005", "TOKEN-005"},
			mustRun:  []string{"SIGNIN-001", "TFA-001", "LOCK-001", "LOCK-002", "TOKEN-003", "CAP-001"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, err := refserver.New(c.rcfg)
			require.NoError(t, err)
			var h http.Handler = srv
			if c.wrap != nil {
				h = c.wrap(h)
			}
			ts := httptest.NewServer(h)
			t.Cleanup(func() { ts.Close(); srv.Close() })
			cfg := refConfig(ts.URL)
			if c.noHooks {
				cfg.Hooks = ""
			}
			rep := runAgainst(t, cfg, Options{})
			byID := map[string]CheckResult{}
			for _, r := range rep.Checks {
				byID[r.ID] = r
				assert.NotContains(t, []Verdict{Fail, Warn, Error}, r.Verdict, "%s: %s", r.ID, r.Reason)
				if r.Verdict == Skip && c.skipWord != "" && !strings.Contains(r.Reason, "waits.") && !strings.Contains(r.Reason, "precondition") {
					assert.Contains(t, r.Reason, c.skipWord, r.ID)
				}
			}
			for _, id := range c.mustSkip {
				assert.Equal(t, Skip, byID[id].Verdict, "%s: %s", id, byID[id].Reason)
			}
			for _, id := range c.mustRun {
				assert.Equal(t, Pass, byID[id].Verdict, "%s: %s", id, byID[id].Reason)
			}
		})
	}
}
