package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/testhooks"
)

func TestServeHelpAndDefectList(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		code     ExitCode
		stdout   []string
		stderr   string
		noStdout bool
	}{
		{"ok/help", []string{"serve", "--help"}, ExitOK, []string{"Usage: authflow serve", "--hash-cost=production", "-users-file", "-defect", "-hooks", "-signin-attempts"}, "", false},
		{"ok/h", []string{"serve", "-h"}, ExitOK, []string{"Usage: authflow serve"}, "", false},
		{"ok/defect-list", []string{"serve", "--defect", "list"}, ExitOK, []string{"no-lockout", "wizard-uuid-replay", "totp-replay"}, "", false},
		{"ok/variant-list", []string{"serve", "--variant", "list"}, ExitOK, []string{"successToken", "default: 401", "alt:     422"}, "", false},
		{"err/unknown-variant", []string{"serve", "--variant", "beta"}, ExitUsage, nil, `unknown variant "beta"`, true},
		{"err/unknown-flag", []string{"serve", "--nope"}, ExitUsage, nil, "--help", true},
		{"err/unknown-defect", []string{"serve", "--defect", "bogus"}, ExitUsage, nil, "bogus", true},
		{"err/bad-hash-cost", []string{"serve", "--hash-cost", "cheap"}, ExitUsage, nil, "hash cost", true},
		{"err/bad-argon2", []string{"serve", "--argon2-memory", "1"}, ExitUsage, nil, "memory", true},
		{"err/bad-mix", []string{"serve", "--users", "3", "--users-mix", "email=1"}, ExitUsage, nil, "mix", true},
		{"err/fractional-window", []string{"serve", "--signin-window", "1500ms"}, ExitUsage, nil, "whole number of seconds", true},
		{"err/zero-attempts", []string{"serve", "--refresh-attempts", "0"}, ExitUsage, nil, "at least 1", true},
		{"err/users-file-without-users", []string{"serve", "--users-file", "x.json"}, ExitUsage, nil, "--users", true},
		{"err/bad-log-level", []string{"serve", "--log-level", "loud"}, ExitUsage, nil, "log-level", true},
		{"err/extra-arg", []string{"serve", "extra"}, ExitUsage, nil, "extra", true},
		{"err/bad-listen", []string{"serve", "--listen", "256.0.0.1:x"}, ExitUsage, nil, "listen", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", out.String(), errb.String())
			for _, s := range tc.stdout {
				require.Contains(t, out.String(), s)
			}
			if tc.noStdout {
				require.Empty(t, out.String())
			}
			require.Contains(t, errb.String(), tc.stderr)
		})
	}
}

func TestParseServeFlags(t *testing.T) {
	t.Parallel()
	sf, err := parseServeFlags([]string{
		"--listen", "127.0.0.1:0", "--hooks=false",
		"--signin-attempts", "3", "--signin-window", "10s", "--signin-block", "5s",
		"--refresh-attempts", "7", "--refresh-window", "2m", "--refresh-block", "1h",
		"--hash-cost", "production", "--argon2-time", "3",
		"--access-ttl", "1m", "--code-ttl", "30s", "--qr-lifetime", "3m",
		"--users", "10", "--users-mix", "google=1", "--users-seed", "abc",
		"--defect", "no-lockout,totp-replay", "--defect", "enumeration", "--variant", "alt",
	}, io.Discard)
	require.NoError(t, err)
	c := sf.cfg
	require.Equal(t, "127.0.0.1:0", c.Addr)
	require.True(t, c.DisableHooks)
	require.Equal(t, testhooks.Policy{
		SignIn:  testhooks.Limit{Attempts: 3, WindowSeconds: 10, BlockSeconds: 5},
		Refresh: testhooks.Limit{Attempts: 7, WindowSeconds: 120, BlockSeconds: 3600},
	}, c.Policy)
	require.Equal(t, refserver.HashParams{Time: 3, MemoryKiB: 19 * 1024, Threads: 1}, c.Hash)
	require.Equal(t, time.Minute, c.AccessTTL)
	require.Equal(t, 30*time.Second, c.CodeTTL)
	require.Equal(t, 3*time.Minute, c.QRLifetime)
	require.Equal(t, refserver.DefaultRefreshTTL, c.RefreshTTL)
	require.Equal(t, refserver.UsersConfig{Count: 10, Mix: refserver.Mix{Google: 1}, Seed: "abc"}, c.Users)
	require.Equal(t, []string{"no-lockout", "totp-replay", "enumeration"}, c.Defects)
	require.Equal(t, refserver.VariantAlt, c.Variant)

	sf, err = parseServeFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, refserver.DefaultAddr, sf.cfg.Addr)
	require.False(t, sf.cfg.DisableHooks)
	require.Equal(t, testhooks.DefaultPolicy(), sf.cfg.Policy)
	require.Equal(t, refserver.LoadTestHash, sf.cfg.Hash)
	require.Equal(t, refserver.VariantDefault, sf.cfg.Variant)
}

// serve listens, writes the users file before it says it is ready, serves,
// and shuts down when its context ends.
func TestServeRunsAndShutsDown(t *testing.T) {
	t.Parallel()
	usersFile := filepath.Join(t.TempDir(), "users.json")
	addr, stderr, stop := startServe(t, "--users", "5", "--users-file", usersFile, "--log-level", "debug")
	b, err := os.ReadFile(usersFile)
	require.NoError(t, err, "users file written before ready")
	var users []refserver.LoadUser
	require.NoError(t, json.Unmarshal(b, &users))
	require.Len(t, users, 5)

	resp, err := http.Get("http://" + addr + "/api/v2/my/signin/wizard")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get("http://" + addr + "/__hooks/policy")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	stop()
	logs := stderr.String()
	require.Contains(t, logs, "authflow reference server ready")
	require.Contains(t, logs, "address=http://"+addr)
	require.Contains(t, logs, "hooks=on")
	require.Contains(t, logs, "usersFile="+usersFile)
	require.Contains(t, logs, `msg=request method=GET route="GET /api/v2/my/signin/wizard" status=200`)
	for _, u := range users {
		require.NotContains(t, logs, u.Password)
	}
	require.True(t, strings.Contains(logs, "shutting down"))
}

// startServe runs `authflow serve --listen 127.0.0.1:0 args...` until it is
// ready and returns its address, its log and stop, which ends it and waits
// for a clean shut-down.
func startServe(t *testing.T, args ...string) (string, *testutil.SyncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stderr := &testutil.SyncBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, slices.Concat([]string{"--listen", "127.0.0.1:0"}, args), io.Discard, stderr, func(addr string) { addrc <- addr })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not get ready")
	}
	stop := func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not shut down")
		}
	}
	return addr, stderr, stop
}

// `serve --variant alt` serves the alt personality: a client made through
// the hooks without SMS has a phone, and the log says which variant runs.
func TestServeVariantAlt(t *testing.T) {
	t.Parallel()
	addr, stderr, stop := startServe(t, "--variant", "alt")
	resp, err := http.Post("http://"+addr+"/__hooks/clients", "application/json", strings.NewReader(`{"twoFactor":[]}`))
	require.NoError(t, err)
	var c testhooks.Client
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.NotNil(t, c.Phone, "alt gives every client a phone")
	stop()
	require.Contains(t, stderr.String(), "variant=alt")
}
