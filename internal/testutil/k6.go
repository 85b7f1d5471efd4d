package testutil

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// K6Binary is the k6 binary built with the extension (AUTHFLOW_K6; make
// sets it to bin/k6). Without it the test is skipped, and fails in CI
// (CI set), where make always builds it; a path that does not exist fails
// the test.
func K6Binary(t testing.TB) string {
	t.Helper()
	k6 := os.Getenv("AUTHFLOW_K6")
	if k6 == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUTHFLOW_K6 is not set in CI: make test builds bin/k6 and sets it")
		}
		t.Skip("AUTHFLOW_K6 is not set (make test sets it to bin/k6, built with xk6)")
	}
	_, err := os.Stat(k6)
	require.NoError(t, err, "AUTHFLOW_K6")
	return k6
}

// RunK6 runs k6 with args, env added to this process's environment, in
// the working directory, for at most timeout, and returns k6's exit code
// and its output (stdout and stderr together). A k6 that cannot be started
// fails the test.
func RunK6(t testing.TB, k6 string, timeout time.Duration, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return 0, out.String()
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, out.String())
	return ee.ExitCode(), out.String()
}
