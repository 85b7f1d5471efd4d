package testutil

import (
	"os"
	"testing"

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
