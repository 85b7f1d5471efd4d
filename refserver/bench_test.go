package refserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

// The server must never limit a load test. BenchmarkSignInGoogleFlow
// measures the SERVER's CPU time for the full sign-in with Google
// Authenticator (GET signin/wizard, POST signin, POST signin/2fa, POST
// 2fa/google) through the real handlers over real loopback HTTP with
// keep-alive, and compares it with the CPU time the same server stack spends
// on four requests to a trivial JSON handler (decode a small body, encode a
// small answer). To keep the client's CPU out of the figure, each server
// runs in a child process (this test binary re-executed with
// AUTHFLOW_BENCH_CHILD=real|trivial) that reports its own getrusage CPU time
// on GET /__cpu; the figure is the child's CPU before and after b.N flows.
// Every flow uses its own user (created before the measurement), so TOTP
// replay protection never refuses a code.
//
//	go test -run='^$' -bench=SignInGoogleFlow -benchtime=3000x ./refserver/
//
// Metrics: server-cpu-us/flow, trivial-cpu-us/4req and their ratio (the
// target is <= 3 with the default load-test hashing cost).
func BenchmarkSignInGoogleFlow(b *testing.B) {
	ref := startBenchChild(b, "real")
	trivial := startBenchChild(b, "trivial")
	const workers = 4

	// Users, before the measurement.
	secrets := make([]string, b.N)
	emails := make([]string, b.N)
	passwords := make([]string, b.N)
	parallel(b, workers, b.N, func(i int) error {
		var c testhooks.Client
		if err := ref.call("POST", "/__hooks/clients", `{"twoFactor":["google"]}`, http.StatusCreated, &c); err != nil {
			return err
		}
		emails[i], passwords[i], secrets[i] = c.Email, c.Password, *c.TOTPSecret
		return nil
	})

	// The real flow.
	fp := fingerprint
	cpu0 := ref.cpu(b)
	b.ResetTimer()
	parallel(b, workers, b.N, func(i int) error {
		var w b2core.RawWizard
		if err := ref.call("GET", "/api/v2/my/signin/wizard", "", http.StatusOK, &w); err != nil {
			return err
		}
		body, _ := json.Marshal(b2core.SignInRequest{UUID: w.UUID, Email: emails[i], Password: passwords[i], DeviceFingerprint: fp})
		if err := ref.call("POST", "/api/v2/my/signin", string(body), http.StatusOK, nil); err != nil {
			return err
		}
		if err := ref.call("POST", "/api/v2/my/signin/2fa", `{"uuid":"`+w.UUID+`","type":"google"}`, http.StatusOK, nil); err != nil {
			return err
		}
		code, err := totp.GenerateCodeCustom(secrets[i], time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		var done b2core.Wizard[b2core.Tokens]
		if err := ref.call("POST", "/api/v2/my/2fa/google", `{"uuid":"`+w.UUID+`","code":"`+code+`"}`, http.StatusAccepted, &done); err != nil {
			return err
		}
		if done.Data.AccessToken == nil || done.Data.AccessToken.Token == "" {
			return fmt.Errorf("no access token")
		}
		return nil
	})
	b.StopTimer()
	realCPU := ref.cpu(b) - cpu0

	// The same number of requests to the trivial handler.
	cpu0 = trivial.cpu(b)
	parallel(b, workers, b.N, func(i int) error {
		for range 4 {
			var out map[string]any
			if err := trivial.call("POST", "/trivial", `{"uuid":"36f59381-5b54-48bd-a0c7-3b908c476732","code":"123456"}`, http.StatusOK, &out); err != nil {
				return err
			}
		}
		return nil
	})
	trivialCPU := trivial.cpu(b) - cpu0

	perFlow := float64(realCPU.Microseconds()) / float64(b.N)
	perTrivial := float64(trivialCPU.Microseconds()) / float64(b.N)
	b.ReportMetric(perFlow, "server-cpu-us/flow")
	b.ReportMetric(perTrivial, "trivial-cpu-us/4req")
	if perTrivial > 0 {
		b.ReportMetric(perFlow/perTrivial, "ratio")
	}
}

// parallel runs fn(0..n-1) on workers goroutines and fails b on an error.
func parallel(b *testing.B, workers, n int, fn func(i int) error) {
	b.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// ---- the child process ----

const benchChildEnv = "AUTHFLOW_BENCH_CHILD"

// benchChild serves in this process until stdin closes: "real" is the
// reference server with its defaults (hooks on, load-test hashing), and
// "trivial" a handler that decodes a small JSON body and encodes a small
// answer. It prints "ADDR host:port" and answers GET /__cpu with its own CPU
// time (user + system) in microseconds.
func benchChild(mode string) int {
	var h http.Handler
	switch mode {
	case "real":
		srv, err := New(Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer srv.Close()
		h = srv
	case "trivial":
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				UUID string `json:"uuid"`
				Code string `json:"code"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "uuid": in.UUID})
		})
	default:
		fmt.Fprintln(os.Stderr, "unknown bench child mode", mode)
		return 2
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__cpu", func(w http.ResponseWriter, r *http.Request) {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		us := ru.Utime.Sec*1e6 + int64(ru.Utime.Usec) + ru.Stime.Sec*1e6 + int64(ru.Stime.Usec)
		fmt.Fprint(w, us)
	})
	mux.Handle("/", h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin) // the parent is gone or done
		os.Exit(0)
	}()
	http.Serve(ln, mux)
	return 0
}

// benchProc is a running child.
type benchProc struct {
	base   string
	client *http.Client
}

func startBenchChild(b *testing.B, mode string) *benchProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		b.Fatalf("bench child %s: %q %v", mode, line, err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	p := &benchProc{base: "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")), client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return p
}

func (p *benchProc) call(method, path, body string, want int, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.NewDecoder(bytes.NewReader(b)).Decode(out)
	}
	return nil
}

func (p *benchProc) cpu(b *testing.B) time.Duration {
	b.Helper()
	resp, err := p.client.Get(p.base + "/__cpu")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	s, _ := io.ReadAll(resp.Body)
	us, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(us) * time.Microsecond
}
