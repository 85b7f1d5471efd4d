package extension

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"

	"go.k6.io/k6/v2/lib/fsext"

	"github.com/authflow/authflow/refserver"
)

// BenchmarkSignInTOTP measures the client side of the sign-in + Google TOTP
// flow (4 requests) as a k6 script runs it: real JS calling
// client.signIn(users[i], {method: 'google'}) on one VU, every request
// through MakeRequest on the VU's state, every sample drained. The reference
// server runs in a child process (this test binary re-executed), so the
// figures (ns/op, B/op, allocs/op, and a -cpuprofile) are the client's
// alone; each flow has its own user, so TOTP replay protection never refuses
// a code. cpu-µs/flow is this process's CPU time (user+system) per flow:
// the client's cost, as bench/k6compare measures it for a whole k6 process.
//
//	go test -run='^$' -bench=SignInTOTP -benchtime=5000x -benchmem ./extension/
func BenchmarkSignInTOTP(b *testing.B) {
	base, usersFile := startBenchServer(b, b.N+1)
	data, err := os.ReadFile(usersFile)
	require.NoError(b, err)
	fs := fsext.NewMemMapFs()
	require.NoError(b, fsext.WriteFile(fs, "/bench/users.json", data, 0o644))

	v := newTestVU(b, nil)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fs}
	v.rt.VU.InitEnvField.CWD = &url.URL{Path: "/bench/"}
	v.run(fmt.Sprintf(`var users = authflow.openUsers('./users.json');
		var client = new authflow.Client({ baseURL: %q, timeout: '30s', userAgent: 'authflow-bench/1.0' });
		function flow(i) {
			var r = client.signIn(users[i], { method: 'google' });
			if (!r.ok || r.flow !== 'signin_totp') throw new Error('flow failed: ' + r.step + ' ' + r.outcome + ' ' + r.reason);
		}`, base))
	v.toVU()
	flow, ok := sobek.AssertFunction(v.rt.VU.Runtime().Get("flow"))
	require.True(b, ok)
	rt := v.rt.VU.Runtime()

	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := range b.N {
		if _, err := flow(sobek.Undefined(), rt.ToValue(i)); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			v.drain()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/flow")
	v.drain()
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---- the server child ----

const benchServerEnv = "AUTHFLOW_EXT_BENCH_SERVER"

// startBenchServer re-executes this test binary as a reference server with
// n Google TOTP users (written to a users file) and returns its base URL
// and the file.
func startBenchServer(b *testing.B, n int) (base, usersFile string) {
	b.Helper()
	usersFile = filepath.Join(b.TempDir(), "users.json")
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+strconv.Itoa(n)+","+usersFile)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		_ = cmd.Process.Kill()
		b.Fatalf("bench server: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")), usersFile
}

// benchServer is the child: it serves until its stdin closes.
func benchServer(spec string) int {
	count, file, _ := strings.Cut(spec, ",")
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server: bad spec", spec)
		return 2
	}
	srv, err := refserver.New(refserver.Config{
		Logger: slog.New(slog.DiscardHandler),
		Users:  refserver.UsersConfig{Count: n, Mix: refserver.Mix{Google: 1}, File: file},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		return 1
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0) // the parent is done
		_ = ln.Close()
	}()
	_ = http.Serve(ln, srv) //nolint:gosec // a benchmark's loopback server
	_ = srv.Close()
	return 0
}
