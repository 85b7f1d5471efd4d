package scenarios

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
	"github.com/authflow/authflow/reports"
)

// segmentCmd is bin/k6 running script, as the part of a split test given
// by segment (if any), with env added; its output goes to out.
func segmentCmd(t *testing.T, script, segment string, env ...string) (cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	args := []string{"run", "--quiet", "--no-usage-report"}
	if segment != "" {
		args = append(args, "--execution-segment", segment, "--execution-segment-sequence", "0,1/2,1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd = exec.CommandContext(ctx, testutil.K6Binary(t), append(args, script)...)
	cmd.Env = append(os.Environ(), env...)
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// runSegment runs testdata/segments.js as one k6 process, or as the part of
// a split test given by segment, and returns its summary.
func runSegment(t *testing.T, base, users, segment string) *reports.Summary {
	t.Helper()
	sumFile := filepath.Join(t.TempDir(), "summary.json")
	cmd, out := segmentCmd(t, "testdata/segments.js", segment,
		"AUTHFLOW_BASE_URL="+base, "AUTHFLOW_USERS="+users, "AUTHFLOW_SUMMARY="+sumFile)
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
	testutil.K6Binary(t)
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

// heldUsers runs testdata/segment_users.js over users (as the part of a
// split test given by segment, if any) and returns how many users the
// process held, the id of its first, and its peak RSS in KiB.
func heldUsers(t *testing.T, users, segment string) (held, first int, rssKiB int64) {
	t.Helper()
	cmd, out := segmentCmd(t, "testdata/segment_users.js", segment, "AUTHFLOW_USERS="+users)
	require.NoError(t, cmd.Start())
	// The child's own peak (VmHWM): wait4's maxrss would count this test
	// process's memory too, which the child shares until it execs.
	peak := make(chan int64)
	go func() {
		var most int64
		for {
			if kib, ok := vmHWM(cmd.Process.Pid); ok {
				most = max(most, kib)
			}
			select {
			case peak <- most:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	rssKiB = <-peak
	require.NoError(t, err, out.String())
	m := regexp.MustCompile(`held users=(\d+) first=(\d+) picker=(\d+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "%s %v\n%s", users, cmd.Args, out.String())
	held, _ = strconv.Atoi(m[1])
	first, _ = strconv.Atoi(m[2])
	picker, _ := strconv.Atoi(m[3])
	assert.Equal(t, held, picker, "the picker sees the users the instance holds")
	return held, first, rssKiB
}

// vmHWM reads a live process's peak RSS in KiB.
func vmHWM(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(m[1]), 10, 64)
	return n, err == nil
}

// Each process of a split test holds only its execution segment's slice of
// the user file (openUsers slices it in Go, once per instance), and pays
// memory only for it: the halves' user data (RSS above a run with a tiny
// file) is well under the whole file's.
func TestSegmentsHoldOnlyTheirSlice(t *testing.T) {
	t.Parallel()
	testutil.K6Binary(t)
	dir := t.TempDir()
	write := func(name string, n int) string {
		users, err := refserver.GenerateUsers(refserver.UsersConfig{Count: n})
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, refserver.WriteUsersFile(path, users))
		return path
	}
	const n = 300_000
	big, tiny := write("users.json", n), write("tiny.json", 10)

	_, _, base := heldUsers(t, tiny, "")
	whole, first, wholeRSS := heldUsers(t, big, "")
	assert.Equal(t, n, whole)
	assert.Equal(t, 1, first)
	var rss [2]int64
	for i, seg := range []string{"0:1/2", "1/2:1"} {
		held, first, r := heldUsers(t, big, seg)
		assert.Equal(t, n/2, held, seg)
		assert.Equal(t, 1+i*n/2, first, "%s starts at its own slice", seg)
		rss[i] = r
	}
	data := wholeRSS - base
	t.Logf("peak RSS: tiny file %d MiB, whole %d MiB, halves %d and %d MiB", base>>10, wholeRSS>>10, rss[0]>>10, rss[1]>>10)
	require.Greater(t, data, int64(20<<10), "the whole file's users take memory")
	for i, r := range rss {
		assert.Less(t, r-base, data*3/4, "half %d holds only its slice", i+1)
	}
}

// A user file still travels in a `k6 archive`: the archive runs with the
// file gone from disk, and a segment slices it there too.
func TestArchiveCarriesTheUserFile(t *testing.T) {
	t.Parallel()
	k6 := testutil.K6Binary(t)
	dir := t.TempDir()
	users, err := refserver.GenerateUsers(refserver.UsersConfig{Count: 40})
	require.NoError(t, err)
	file := filepath.Join(dir, "users.json")
	require.NoError(t, refserver.WriteUsersFile(file, users))
	tar := filepath.Join(dir, "test.tar")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, k6, "archive", "--quiet", "-e", "AUTHFLOW_USERS="+file,
		"-O", tar, "testdata/segment_users.js").CombinedOutput()
	require.NoError(t, err, string(out))
	require.NoError(t, os.Remove(file))
	for _, c := range []struct {
		args        []string
		held, first int
	}{
		{nil, 40, 1},
		{[]string{"--execution-segment", "1/2:1", "--execution-segment-sequence", "0,1/2,1"}, 20, 21},
	} {
		args := slices.Concat([]string{"run", "--quiet", "--no-usage-report"}, c.args, []string{tar})
		out, err := exec.CommandContext(ctx, k6, args...).CombinedOutput()
		require.NoError(t, err, string(out))
		m := regexp.MustCompile(`held users=(\d+) first=(\d+)`).FindStringSubmatch(string(out))
		require.NotNil(t, m, string(out))
		assert.Equal(t, strconv.Itoa(c.held), m[1], c.args)
		assert.Equal(t, strconv.Itoa(c.first), m[2], c.args)
	}
}
