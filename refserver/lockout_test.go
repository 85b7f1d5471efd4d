package refserver

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

// 100 concurrent wrong passwords on one account: exactly `attempts` are
// checked and answered 401, the rest 429; then the right password is
// refused until the block ends.
func TestLockoutConcurrentExact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	const n = 100
	uuids := make([]string, n)
	for i := range uuids {
		uuids[i] = h.wizard()
	}
	statuses := make([]int, n)
	retry := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := h.signin(uuids[i], c.Email, "wrong-password-"+strconv.Itoa(i))
			statuses[i], retry[i] = r.status, r.header.Get("Retry-After")
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for i, s := range statuses {
		count[s]++
		if s == http.StatusTooManyRequests {
			require.Equal(t, "600", retry[i])
		}
	}
	require.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusTooManyRequests: 95}, count)

	r := h.signin(h.wizard(), c.Email, c.Password)
	e := r.requireError(t, http.StatusTooManyRequests)
	require.Equal(t, "600", r.header.Get("Retry-After"))
	require.Equal(t, "600", e.Errors["retryAfter"])

	h.clk.Advance(599*time.Second + 500*time.Millisecond)
	r = h.signin(h.wizard(), c.Email, c.Password)
	r.requireError(t, http.StatusTooManyRequests)
	require.Equal(t, "1", r.header.Get("Retry-After"), "rounded up")

	h.clk.Advance(time.Second)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
}

func TestLockout(t *testing.T) {
	t.Parallel()
	short := testhooks.Limit{Attempts: 3, WindowSeconds: 60, BlockSeconds: 30}
	refresh := testhooks.DefaultPolicy().Refresh

	t.Run("ok/sliding-window", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withPolicy(short, refresh))
		c := h.client()
		for i := 0; i < 2; i++ {
			h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
		}
		h.clk.Advance(61 * time.Second) // those two leave the window
		for i := 0; i < 2; i++ {
			h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
		}
		require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
		h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized) // third within the window
		h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusTooManyRequests)
	})
	t.Run("ok/unknown-email-counted-the-same", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withPolicy(short, refresh))
		for i := 0; i < 3; i++ {
			h.signin(h.wizard(), "ghost@authflow.test", "wrong").requireError(t, http.StatusUnauthorized)
		}
		h.signin(h.wizard(), "GHOST@authflow.test", "wrong").requireError(t, http.StatusTooManyRequests)
	})
	t.Run("ok/per-identifier", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withPolicy(short, refresh))
		a, b := h.client(), h.client()
		for i := 0; i < 3; i++ {
			h.signin(h.wizard(), a.Email, "wrong").requireError(t, http.StatusUnauthorized)
		}
		h.signin(h.wizard(), a.Email, a.Password).requireError(t, http.StatusTooManyRequests)
		require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), b.Email, b.Password).status)
	})
	for _, method := range []string{"google", "sms"} {
		t.Run("ok/wrong-2fa-codes-count-"+method, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withPolicy(short, refresh))
			c := h.client(method)
			// Two wizards at the code step.
			var uuids []string
			for i := 0; i < 2; i++ {
				u := h.wizard()
				require.Equal(t, http.StatusOK, h.signin(u, c.Email, c.Password).status)
				require.Equal(t, http.StatusOK, h.do("POST", "/api/v2/my/signin/2fa", b2core.SignIn2FARequest{UUID: u, Type: method}).status)
				uuids = append(uuids, u)
			}
			var right string
			if method == "google" {
				h.nextStep()
				right = h.totp(*c.TOTPSecret, 0)
			} else {
				right = h.code(*c.Phone) // the second wizard's code replaced the first's
			}
			wrong := map[bool]string{true: "111111", false: "000000"}[right == "000000"]
			for i := 0; i < 2; i++ {
				h.do("POST", "/api/v2/my/2fa/"+method, b2core.CodeRequest{UUID: uuids[1], Code: wrong}).requireError(t, http.StatusUnprocessableEntity)
			}
			h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized) // third failure: blocked
			r := h.do("POST", "/api/v2/my/2fa/"+method, b2core.CodeRequest{UUID: uuids[1], Code: right})
			r.requireError(t, http.StatusTooManyRequests)
			require.Equal(t, "30", r.header.Get("Retry-After"))
			h.clk.Advance(30 * time.Second)
			if method == "google" {
				right = h.totp(*c.TOTPSecret, 0)
			}
			r = h.do("POST", "/api/v2/my/2fa/"+method, b2core.CodeRequest{UUID: uuids[1], Code: right})
			require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		})
	}
	t.Run("ok/policy-change-applies", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		c := h.client()
		r := h.do("PUT", "/__hooks/policy", testhooks.Policy{SignIn: testhooks.Limit{Attempts: 1, WindowSeconds: 10, BlockSeconds: 2}, Refresh: refresh})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
		r = h.signin(h.wizard(), c.Email, c.Password)
		r.requireError(t, http.StatusTooManyRequests)
		require.Equal(t, "2", r.header.Get("Retry-After"))
		h.clk.Advance(2 * time.Second)
		require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
	})
}

// A short real block (no fake clock): the right password is refused while
// blocked and accepted once the block is over.
func TestLockoutRealClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) {
		c.Now = nil
		c.Policy = testhooks.Policy{SignIn: testhooks.Limit{Attempts: 2, WindowSeconds: 60, BlockSeconds: 1}, Refresh: testhooks.DefaultPolicy().Refresh}
	})
	c := h.client()
	for i := 0; i < 2; i++ {
		h.signin(h.wizard(), c.Email, "wrong").requireError(t, http.StatusUnauthorized)
	}
	h.signin(h.wizard(), c.Email, c.Password).requireError(t, http.StatusTooManyRequests)
	time.Sleep(1100 * time.Millisecond)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)
}

func TestLockoutUnit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	lim := testhooks.Limit{Attempts: 2, WindowSeconds: 10, BlockSeconds: 5}
	l := newLockout(func() testhooks.Limit { return lim }, clk.Now, false)
	a1, _ := l.begin("k")
	a2, _ := l.begin("k")
	require.NotNil(t, a1)
	require.NotNil(t, a2)
	// Both slots are in flight: a third waits until one finishes.
	got := make(chan *attempt)
	go func() {
		a, _ := l.begin("k")
		got <- a
	}()
	select {
	case <-got:
		t.Fatal("third attempt did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	a1.finish(false) // a success frees a slot
	a3 := <-got
	require.NotNil(t, a3)
	a2.finish(true)
	a3.finish(true) // second failure: blocked
	a1.finish(true) // finishing twice is a no-op
	a, wait := l.begin("k")
	require.Nil(t, a)
	require.Equal(t, 5*time.Second, wait)
	require.Equal(t, 5*time.Second, l.blockedFor("k"))
	clk.Advance(5 * time.Second)
	a, _ = l.begin("k")
	require.NotNil(t, a)
	a.finish(false)
	l.sweep()
	require.Empty(t, l.shard("k").m)
}
