package scenarios

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/reports"
)

// runSegment runs testdata/segments.js as one k6 process, or as the part of
// a split test given by segment, and returns its summary.
func runSegment(t *testing.T, base, users, segment string) *reports.Summary {
	t.Helper()
	sumFile := filepath.Join(t.TempDir(), "summary.json")
	args := []string{"run", "--quiet", "--no-usage-report"}
	if segment != "" {
		args = append(args, "--execution-segment", segment, "--execution-segment-sequence", "0,1/2,1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6Binary(t), append(args, "testdata/segments.js")...)
	cmd.Env = append(os.Environ(), "AUTHFLOW_BASE_URL="+base, "AUTHFLOW_USERS="+users, "AUTHFLOW_SUMMARY="+sumFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), out.String())
	s, err := reports.LoadSummary(sumFile)
	require.NoError(t, err)
	return s
}

// One scenario split across two bin/k6 processes with execution segments,
// merged as `authflow report` merges them, shows the same totals as the same
// scenario run by one process. The halves run at the same time, as two
// k6-operator runners would, on disjoint slices of the one user file.
func TestExecutionSegments(t *testing.T) {
	t.Parallel()
	k6Binary(t)
	base, users := target(t, 0, "")
	whole := runSegment(t, base, users, "")

	parts := make([]*reports.Summary, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		parts[1] = runSegment(t, base, users, "1/2:1")
	}()
	parts[0] = runSegment(t, base, users, "0:1/2")
	<-done
	require.NotNil(t, parts[1])
	merged, err := reports.MergeSummaries(parts, nil)
	require.NoError(t, err)

	count := func(s *reports.Summary, metric, key string) float64 {
		m, ok := s.Metrics[metric]
		require.True(t, ok, "%s in %s", metric, s.Source)
		v, _ := m.Value(key)
		return v
	}
	for _, c := range []struct{ metric, key string }{
		{"iterations", "count"},
		{"http_reqs", "count"},
		{"authflow_flows", "count"},
		{"authflow_flow_failed{flow:signin}", "passes"},
		{"authflow_flow_failed{flow:signin}", "fails"},
		{"checks", "passes"},
		{"checks", "fails"},
	} {
		assert.Equal(t, count(whole, c.metric, c.key), count(merged, c.metric, c.key), "%s %s", c.metric, c.key)
	}
	assert.Equal(t, 40.0, count(merged, "iterations", "count"))
	assert.Equal(t, 20.0, count(parts[0], "iterations", "count"), "each half does half the work")
	assert.Zero(t, count(merged, "checks", "fails"))
}
