package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/authflow/authflow/refserver"
)

// requireTool skips the test when a tool is missing, or fails it when
// AUTHFLOW_REQUIRE_TOOLS is set (.ci/run sets it: CI installs every tool).
func requireTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("AUTHFLOW_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is needed: %v", what, err)
	}
	t.Skipf("%s is not available (.ci/run installs it): %v", what, err)
}

// k6Binary is bin/k6 as make sets it in AUTHFLOW_K6.
func k6Binary(t *testing.T) string {
	t.Helper()
	k6 := os.Getenv("AUTHFLOW_K6")
	if k6 == "" {
		requireTool(t, "bin/k6 (AUTHFLOW_K6, set by make)", errors.New("AUTHFLOW_K6 is not set"))
	}
	_, err := os.Stat(k6)
	require.NoError(t, err, "AUTHFLOW_K6")
	return k6
}

// refServer starts the reference server in-process with a user file and
// returns its URL and the file.
func refServer(t *testing.T) (string, string) {
	t.Helper()
	users := filepath.Join(t.TempDir(), "users.json")
	srv, err := refserver.New(refserver.Config{Users: refserver.UsersConfig{Count: 200, File: users}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		_ = srv.Close()
	})
	return ts.URL, users
}

// freePort returns a loopback port nobody listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// runScenario runs a shipped scenario (scenarios/<name>) with bin/k6
// against a fresh reference server for a few seconds, with extra k6
// arguments and environment; it returns the summary the scenario wrote
// and k6's output, and fails the test unless k6 exits 0.
func runScenario(t *testing.T, name string, args []string, env ...string) (summary, string) {
	t.Helper()
	k6 := k6Binary(t)
	base, users := refServer(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{"run", "--quiet", "--no-usage-report"}, args...)
	all = append(all, filepath.Join("..", "scenarios", name))
	cmd := exec.CommandContext(ctx, k6, all...)
	cmd.Env = append(os.Environ(),
		"AUTHFLOW_BASE_URL="+base, "AUTHFLOW_USERS="+users, "AUTHFLOW_OUT="+dir,
		"AUTHFLOW_SUMMARY="+filepath.Join(dir, "summary.json"),
		"AUTHFLOW_RATE=4", "AUTHFLOW_DURATION=4s", "AUTHFLOW_MAX_VUS=10")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "k6 run %s\n%s", name, out.String())
	var s summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err, "the scenario wrote no summary\n%s", out.String())
	require.NoError(t, json.Unmarshal(b, &s))
	return s, out.String()
}

// summary is the part of a scenario's summary file these tests read.
type summary struct {
	Metrics map[string]struct {
		Values map[string]float64 `json:"values"`
	} `json:"metrics"`
}

// count is a metric's count in the summary, 0 when the run had none.
func (s summary) count(metric string) float64 { return s.Metrics[metric].Values["count"] }

// TestMain checks that no test leaves a goroutine behind (receivers,
// servers, HTTP connections).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
