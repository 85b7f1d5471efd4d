package testutil_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
)

func TestClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 4, 5, 6, 31, 0, time.UTC)
	tests := []struct {
		name  string
		moves []time.Duration
		want  time.Time
	}{
		{name: "unmoved", want: t0},
		{name: "moved twice", moves: []time.Duration{30 * time.Second, time.Minute}, want: t0.Add(90 * time.Second)},
		{name: "moved back", moves: []time.Duration{-time.Hour}, want: t0.Add(-time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testutil.NewClock(t0)
			for _, d := range tc.moves {
				c.Advance(d)
			}
			assert.Equal(t, tc.want, c.Now())
		})
	}
}

// answer is a transport that answers every request with its path.
type answer struct{}

func (answer) Do(_ context.Context, req *b2core.Request) (*b2core.Response, error) {
	return &b2core.Response{Status: 200, Body: []byte(req.Path)}, nil
}

func TestRecorderPassesOnAndRemembersInOrder(t *testing.T) {
	t.Parallel()
	rec := &testutil.Recorder{Inner: answer{}}
	for _, p := range []string{"/a", "/b", "/c"} {
		resp, err := rec.Do(context.Background(), &b2core.Request{Method: "GET", Path: p})
		require.NoError(t, err)
		assert.Equal(t, p, string(resp.Body))
	}
	all := rec.All()
	require.Len(t, all, 3)
	assert.Equal(t, []string{"/a", "/b", "/c"}, []string{all[0].Path, all[1].Path, all[2].Path})
	assert.Equal(t, "/c", rec.Last().Path)
	all[0].Path = "/changed"
	assert.Equal(t, "/a", rec.All()[0].Path, "All is a copy")
}

func TestSyncBufferConcurrentWrites(t *testing.T) {
	t.Parallel()
	var b testutil.SyncBuffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = fmt.Fprintf(&b, "%02d;", i)
			_ = b.String()
		}()
	}
	wg.Wait()
	assert.Len(t, b.String(), 60)
}

func TestRunK6ExitCodeAndOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, script string
		env          []string
		code         int
		out          string
	}{
		{name: "ok", script: "echo out; echo err >&2", code: 0, out: "out\nerr\n"},
		{name: "threshold exit", script: "echo crossed; exit 99", code: 99, out: "crossed\n"},
		{name: "env added", script: `echo "$AUTHFLOW_TESTUTIL_X"`, env: []string{"AUTHFLOW_TESTUTIL_X=42"}, out: "42\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out := testutil.RunK6(t, "/bin/sh", 10*time.Second, tc.env, "-c", tc.script)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.out, out)
		})
	}
}
