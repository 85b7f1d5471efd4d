package refserver

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// concurrently runs fn(0..n-1) released at once and returns the statuses.
func concurrently(n int, fn func(i int) response) []int {
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = fn(i).status
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

func count(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// The race defects: a concurrent burst gets more through than the limit or
// the single use allows (on the correct server: lockout_test.go, and the
// conformance suite's race checks run 50 times).
var raceDefectCases = map[string]func(t *testing.T, h *harness){
	DefectLockoutRace: func(t *testing.T, h *harness) {
		c := h.client()
		uuids := make([]string, 20)
		for i := range uuids {
			uuids[i] = h.wizard()
		}
		st := concurrently(len(uuids), func(i int) response { return h.signin(uuids[i], c.Email, "wrong-"+strconv.Itoa(i)) })
		require.Greater(t, count(st, http.StatusUnauthorized), 5, "%v", st)
		h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusTooManyRequests)
	},
	DefectRefreshRace: func(t *testing.T, h *harness) {
		tok := h.login(h.client(), "")
		st := concurrently(4, func(int) response {
			return h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		})
		require.Greater(t, count(st, http.StatusOK), 1, "%v", st)
		r := h.do("POST", "/api/v2/my/refresh", b2core.RefreshRequest{RefreshToken: tok.RefreshToken.Token})
		require.Equal(t, http.StatusUnauthorized, r.status, "used sequentially it is dead")
	},
	DefectSuccessTokenRace: func(t *testing.T, h *harness) {
		c := h.client()
		tok := h.successToken("", c.Email)
		st := concurrently(4, func(i int) response {
			return h.do("POST", "/api/v2/my/password/restore", b2core.PasswordRequest{Password: fmt.Sprintf("Restored-%d-pw", i)}, "successToken", tok)
		})
		require.Greater(t, count(st, http.StatusNoContent), 1, "%v", st)
	},
	DefectChallengeCodeRace: func(t *testing.T, h *harness) {
		c := h.client()
		r := h.do("GET", "/api/v2/my/2fa/unauthorized/challenge?email="+urlQueryEscape(c.Email), nil)
		var conf b2core.ChallengeResponse
		r.decode(t, &conf)
		code := h.code(c.Email)
		st := concurrently(4, func(int) response {
			return h.do("POST", "/api/v2/my/2fa/challenge", b2core.ChallengeRequest{Token: conf.Token, Code: code})
		})
		require.Greater(t, count(st, http.StatusOK), 1, "%v", st)
	},
	DefectTOTPRace: func(t *testing.T, h *harness) {
		c := h.client("google")
		uuids := make([]string, 3)
		for i := range uuids {
			uuids[i] = h.wizard()
			h.signin(uuids[i], c.Email, c.Password)
			h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: uuids[i], Type: "google"})
		}
		code := h.totp(*c.TOTPSecret, 0)
		st := concurrently(len(uuids), func(i int) response {
			return h.do("POST", "/api/v2/my/2fa/google", b2core.CodeRequest{UUID: uuids[i], Code: code})
		})
		require.Greater(t, count(st, http.StatusAccepted), 1, "%v", st)
	},
}
