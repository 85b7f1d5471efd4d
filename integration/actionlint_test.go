package integration

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// actionlint runs the actionlint the Makefile pins (make lint runs it over
// ci-examples/github-actions.yml), outside the module graph.
func actionlint(t *testing.T, file string) (string, error) {
	t.Helper()
	mk, err := os.ReadFile(filepath.Join("..", "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^ACTIONLINT_VERSION\s*:=\s*(\S+)`).FindSubmatch(mk)
	require.NotNil(t, m, "the Makefile pins no ACTIONLINT_VERSION")
	cmd := exec.Command("go", "run", "github.com/rhysd/actionlint/cmd/actionlint@"+string(m[1]), "-no-color", file)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestActionlintReadsTheWorkflow shows that the check make lint runs bites:
// the shipped workflow passes, the same workflow without runs-on does not.
func TestActionlintReadsTheWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds actionlint")
	}
	shipped, err := filepath.Abs(filepath.Join("..", "ci-examples", "github-actions.yml"))
	require.NoError(t, err)
	out, err := actionlint(t, shipped)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		requireTool(t, "go run actionlint (Go module proxy)", err) // it did not run at all
	}
	require.NoError(t, err, out)

	b, err := os.ReadFile(shipped)
	require.NoError(t, err)
	broken := regexp.MustCompile(`(?m)^\s*runs-on:.*\n`).ReplaceAllString(string(b), "")
	require.NotEqual(t, string(b), broken)
	path := filepath.Join(t.TempDir(), "broken.yml")
	require.NoError(t, os.WriteFile(path, []byte(broken), 0o600))
	out, err = actionlint(t, path)
	require.Error(t, err, "actionlint accepted a job without runs-on")
	assert.True(t, strings.Contains(out, "runs-on"), out)
}
