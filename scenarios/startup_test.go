package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/internal/testref"
	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
)

// A run over a big user file starts at its rate at once: the file is read
// and sliced once per instance in Go, and every VU's picker shares it (a
// per-VU copy in JS once made the first seconds of a 40/s run over 45,000
// users complete 5 flows).
func TestBigUserFileNoStartStall(t *testing.T) {
	t.Parallel()
	k6 := testutil.K6Binary(t)
	dir := t.TempDir()
	users := filepath.Join(dir, "users.json")
	base := testref.Start(t, refserver.Config{Users: refserver.UsersConfig{Count: 45_000, File: users}}).URL

	points := filepath.Join(dir, "points.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6, "run", "--quiet", "--no-usage-report", "--out", "json="+points, "totp.js")
	cmd.Env = append(os.Environ(), "AUTHFLOW_BASE_URL="+base, "AUTHFLOW_USERS="+users, "AUTHFLOW_RATE=40",
		"AUTHFLOW_DURATION=4s", "AUTHFLOW_OUT="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))

	// Flows completed in the first 3 s of the test (from k6's first sample).
	f, err := os.Open(points)
	require.NoError(t, err)
	defer f.Close()
	var start time.Time
	var flows []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p struct {
			Type, Metric string
			Data         struct{ Time time.Time }
		}
		if json.Unmarshal(sc.Bytes(), &p) != nil || p.Type != "Point" {
			continue
		}
		if start.IsZero() || p.Data.Time.Before(start) {
			start = p.Data.Time
		}
		if p.Metric == "authflow_flows" {
			flows = append(flows, p.Data.Time)
		}
	}
	early := 0
	for _, at := range flows {
		if at.Sub(start) < 3*time.Second {
			early++
		}
	}
	assert.GreaterOrEqual(t, early, 60, "flows in the first 3 s of a 40/s run (of %d in all)", len(flows))
}
