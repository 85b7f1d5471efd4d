// Command goflow is the Go floor of the k6 comparison (bench/k6compare): the
// sign-in + Google TOTP flow (GET signin/wizard, POST signin, POST
// signin/2fa, POST 2fa/google) run by package b2core over a plain net/http
// client, by -vus goroutines, each flow with its own user from -users (user
// index = global flow number, as the k6 scripts use
// exec.scenario.iterationInTest), so TOTP replay protection never refuses a
// code.
//
//	goflow -base http://127.0.0.1:8080 -users users.json -vus 10 -n 4000
//	goflow -base ... -users users.json -vus 10 -duration 15s   # at most len(users) flows
//	goflow -base ... -users users.json -vus 1000 -per-vu 2     # 2 flows per goroutine
//
// It prints one JSON object on stdout: flows started, succeeded and
// failed, the elapsed time of the flows (start-up excluded), whether it ran
// out of users before -duration ended, and the first failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authflow/authflow/b2core"
)

type user struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totpSecret"`
}

// Result is what goflow prints.
type Result struct {
	Flows      int64   `json:"flows"`
	Succeeded  int64   `json:"succeeded"`
	Failed     int64   `json:"failed"`
	ElapsedSec float64 `json:"elapsedSec"`
	OutOfUsers bool    `json:"outOfUsers"`
	FirstError string  `json:"firstError,omitempty"`
}

func main() {
	base := flag.String("base", "", "base URL of the server (http://host:port)")
	usersFile := flag.String("users", "", "users file (JSON array as `authflow serve --users-file` writes it)")
	vus := flag.Int("vus", 10, "concurrent flows (goroutines)")
	n := flag.Int("n", 0, "flows in all, shared by the goroutines (0: len(users) or until -duration)")
	perVU := flag.Int("per-vu", 0, "flows per goroutine (instead of -n)")
	duration := flag.Duration("duration", 0, "stop starting flows after this long (0: no limit)")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	ua := flag.String("user-agent", "authflow-bench/1.0", "User-Agent header and device fingerprint user_agent")
	flag.Parse()
	if err := run(*base, *usersFile, *vus, *n, *perVU, *duration, *timeout, *ua); err != nil {
		fmt.Fprintln(os.Stderr, "goflow:", err)
		os.Exit(2)
	}
}

func run(base, usersFile string, vus, n, perVU int, duration, timeout time.Duration, ua string) error {
	if base == "" || usersFile == "" || vus < 1 {
		return errors.New("-base, -users and -vus >= 1 are required")
	}
	data, err := os.ReadFile(usersFile)
	if err != nil {
		return err
	}
	var users []user
	if err := json.Unmarshal(data, &users); err != nil {
		return fmt.Errorf("%s: %w", usersFile, err)
	}
	total := len(users)
	switch {
	case perVU > 0:
		total = min(total, perVU*vus)
	case n > 0:
		total = min(total, n)
	}

	// One keep-alive connection per goroutine, as each k6 VU keeps its own.
	tr := b2core.NewHTTPTransport(base, timeout)
	tr.Client.Transport = &http.Transport{MaxIdleConns: vus, MaxIdleConnsPerHost: vus, MaxConnsPerHost: 0,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	tr.Header = http.Header{"User-Agent": {ua}}
	// One b2core.Client per goroutine, as the extension has one per VU. A
	// Client remembers the TOTP step it last used per secret; past 4096
	// secrets it scans all of them on every code (b2core totpTracker), so
	// one Client shared by every goroutine would pay an O(secrets) scan per
	// flow once a run passes 4096 users in a minute.
	clients := make([]*b2core.Client, vus)
	for g := range clients {
		clients[g] = b2core.New(b2core.Config{Transport: tr, UserAgent: ua})
	}

	var (
		next, ok, failed atomic.Int64
		outOfUsers       atomic.Bool
		firstErr         sync.Once
		firstMsg         string
		wg               sync.WaitGroup
	)
	ctx := context.Background()
	start := time.Now()
	var deadline time.Time
	if duration > 0 {
		deadline = start.Add(duration)
	}
	flow := func(client *b2core.Client, i int64) {
		u := users[i]
		_, err := client.SignInFlow(ctx, b2core.Credentials{Email: u.Email, Password: u.Password,
			TOTPSecret: u.TOTPSecret, Method: b2core.ProviderGoogle})
		if err != nil {
			failed.Add(1)
			firstErr.Do(func() { firstMsg = err.Error() })
			return
		}
		ok.Add(1)
	}
	for g := range vus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if perVU > 0 {
				for k := range perVU {
					if i := int64(k*vus + g); i < int64(total) {
						flow(clients[g], i)
					}
				}
				return
			}
			for {
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				i := next.Add(1) - 1
				if i >= int64(total) {
					if duration > 0 {
						outOfUsers.Store(true)
					}
					return
				}
				flow(clients[g], i)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{Flows: ok.Load() + failed.Load(), Succeeded: ok.Load(), Failed: failed.Load(),
		ElapsedSec: elapsed.Seconds(), OutOfUsers: outOfUsers.Load(), FirstError: firstMsg}
	return json.NewEncoder(os.Stdout).Encode(res)
}
