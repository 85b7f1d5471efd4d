package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCapacityFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"err/no-such-script", []string{"--script", "does/not/exist.js"}},
		{"err/no-k6", []string{"--script", "capacity.go", "--k6", "/nonexistent/k6"}},
		{"err/stray-argument", []string{"extra"}},
		{"err/bad-env", []string{"--script", "capacity.go", "--k6", "go", "--env", "NOEQUALS"}},
		{"err/negative-warmup", []string{"--script", "capacity.go", "--k6", "go", "--warmup", "-1s"}},
		{"err/short-window", []string{"--script", "capacity.go", "--k6", "go", "--duration", "100ms"}},
		{"err/no-vus", []string{"--script", "capacity.go", "--k6", "go", "--max-vus", "0"}},
		{"err/max-below-start", []string{"--script", "capacity.go", "--k6", "go", "--target", "http://127.0.0.1:1", "--start", "10", "--max", "5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := run(slices.Concat([]string{"capacity"}, tc.args), &out, &out)
			assert.Equal(t, ExitUsage, code, out.String())
		})
	}
}

// serveForCapacity starts bin/authflow serve with n TOTP users and returns
// its URL and users file once every password is hashed (the server's own
// start-up work must not land in a measured run).
func serveForCapacity(t *testing.T, n int) (string, string) {
	t.Helper()
	bin := os.Getenv("AUTHFLOW_BIN")
	if bin == "" {
		t.Skip("AUTHFLOW_BIN is not set (make test sets it to bin/authflow)")
	}
	dir := t.TempDir()
	users, ready := filepath.Join(dir, "users.json"), filepath.Join(dir, "ready")
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ready-file", ready,
		"--users", strconv.Itoa(n), "--users-file", users, "--users-mix", "google=100")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	hashed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "passwords hashed") {
				close(hashed)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-hashed:
	case <-time.After(90 * time.Second):
		t.Fatal("the reference server did not hash its users within 90 s")
	}
	url, err := os.ReadFile(ready)
	require.NoError(t, err)
	return strings.TrimSpace(string(url)), users
}

// The capacity search against the reference server, SLA p95 50 ms, finds
// at least half the flows/s that a 10-VU closed loop of the same flow
// completes on the same server in the same test.
func TestCapacityFindsHalfTheClosedLoop(t *testing.T) {
	k6 := measurementK6(t)
	base, users := serveForCapacity(t, 60_000)
	out := filepath.Join(t.TempDir(), "capacity.json")
	var stdout bytes.Buffer
	code := run([]string{"capacity", "--k6", k6, "--script", "../../scenarios/totp.js", "--flow", "signin_totp",
		"--target", base, "--users", users, "--users-per-flow", "1.2",
		"--p95", "50ms", "--warmup", "3s", "--duration", "3s", "--closed-vus", "10",
		"--max", "4000", "--factor", "2", "--precision", "0.5", "--max-runs", "6", "--retries", "2", "--out", out}, &stdout, &stdout)
	t.Log(stdout.String())
	require.Contains(t, []ExitCode{ExitOK, ExitClientLimited}, code)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep struct {
		Capacity   float64 `json:"capacity_per_s"`
		ClosedLoop float64 `json:"closed_loop_per_s"`
		Runs       []struct {
			P95Ms float64 `json:"p95_ms"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Positive(t, rep.ClosedLoop)
	assert.GreaterOrEqual(t, rep.Capacity, 0.5*rep.ClosedLoop, "capacity vs closed loop")
	assert.LessOrEqual(t, len(rep.Runs), 6)
}

// A rate the load generator cannot drive (one VU for 1000 flows/s) is a
// client limit: said so, exit status 3, never a server capacity.
func TestCapacityClientLimited(t *testing.T) {
	k6 := os.Getenv("AUTHFLOW_K6")
	if k6 == "" {
		t.Skip("AUTHFLOW_K6 is not set (make test sets it to bin/k6)")
	}
	out := filepath.Join(t.TempDir(), "capacity.json")
	var stdout bytes.Buffer
	code := run([]string{"capacity", "--k6", k6, "--script", "../../scenarios/totp.js", "--p95", "50ms",
		"--warmup", "1s", "--duration", "2s", "--start", "1000", "--max", "1000", "--max-runs", "1",
		"--max-vus", "1", "--users-per-flow", "0.5", "--out", out}, &stdout, &stdout)
	require.Equal(t, ExitClientLimited, code, stdout.String())
	assert.Contains(t, stdout.String(), "client-limited at 1000 signin_totp/s")
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep struct {
		Capacity  float64 `json:"capacity_per_s"`
		LimitedBy string  `json:"limited_by"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, "client", rep.LimitedBy)
	assert.Zero(t, rep.Capacity)
}
