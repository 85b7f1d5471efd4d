package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadUsageOfThisProcess(t *testing.T) {
	u, err := readUsage(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, u.rssKiB)
	_, err = readUsage(1 << 30) // no such process
	require.Error(t, err)
}

func TestParseHeapAlloc(t *testing.T) {
	n, err := parseHeapAlloc([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 123\n# HeapAlloc = 45678901\n# Sys = 9\n"))
	require.NoError(t, err)
	assert.Equal(t, int64(45678901), n)
	_, err = parseHeapAlloc([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n"))
	require.ErrorContains(t, err, "no HeapAlloc line")
}

func TestLastProgress(t *testing.T) {
	tests := []struct {
		name                  string
		log                   string
		complete, interrupted int64
		ok                    bool
	}{
		{"several lines", "running (01.0s), 00/20 VUs, 20 complete and 0 interrupted iterations\n" +
			"running (02.0s), 03/20 VUs, 40 complete and 1 interrupted iterations\nsoak ✓ [ 100% ]", 40, 1, true},
		{"minutes", "running (10m02.0s), 50/50 VUs, 60000 complete and 0 interrupted iterations\n", 60000, 0, true},
		{"none yet", "init [ 100% ] 50 VUs\n", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, i, ok := lastProgress([]byte(tt.log))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.complete, c)
			assert.Equal(t, tt.interrupted, i)
		})
	}
}

// readings makes n readings a second apart from a start-up reading with no
// flow: 100 flows a second, RSS growing by rssPerSec KiB a second from
// 100 MiB, CPU per flow cpuUS µs, or lastCPUUS in the last lastSecs seconds.
func readings(n int, rssPerSec int64, cpuUS, lastCPUUS int64, lastSecs int) []sample {
	ss := []sample{{at: 0, iters: 0, k6: procUsage{rssKiB: 50 * 1024}}}
	cpu := time.Duration(0)
	for i := 1; i <= n; i++ {
		per := cpuUS
		if i > n-lastSecs {
			per = lastCPUUS
		}
		cpu += time.Duration(100*per) * time.Microsecond
		ss = append(ss, sample{at: time.Duration(i) * time.Second, iters: int64(100 * i),
			k6: procUsage{rssKiB: 100*1024 + rssPerSec*int64(i), cpu: cpu}, server: procUsage{rssKiB: 20 * 1024}})
	}
	return ss
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name       string
		ss         []sample
		window     time.Duration
		growth     float64 // KiB per 1,000 flows
		cpuRatio   float64
		cpuFirstUS float64
		wantErr    string
	}{
		{"flat", readings(60, 0, 300, 300, 0), 10 * time.Second, 0, 1, 300, ""},
		// 50 KiB a second at 100 flows a second: 500 KiB per 1,000 flows.
		{"growing", readings(60, 50, 300, 300, 0), 10 * time.Second, 500, 1, 300, ""},
		// The last reading is left out (its successor counted no new flow), so
		// the slower last seconds must cover the last window.
		{"slower at the end", readings(61, 0, 300, 360, 12), 10 * time.Second, 0, 1.2, 300, ""},
		{"no flow", []sample{{iters: -1}, {iters: 0}}, time.Second, 0, 0, 0, "no reading counted a finished flow"},
		{"too short", readings(10, 0, 300, 300, 0), 10 * time.Second, 0, 0, 0, "less than two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Readings after k6 stopped counting flows (its summary) are ignored.
			ss := append(tt.ss, sample{at: 999 * time.Second, iters: tt.ss[len(tt.ss)-1].iters, k6: procUsage{cpu: time.Hour}})
			f, err := compute(ss, tt.window)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.growth, f.growthSteady, 1)
			assert.InDelta(t, tt.growth, f.growthWin, 1)
			assert.InDelta(t, tt.cpuFirstUS, f.cpuFirst, 1)
			assert.InDelta(t, tt.cpuRatio, f.cpuRatio(), 0.01)
			assert.Equal(t, int64(20*1024), f.srvStart)
		})
	}
}

func TestProblems(t *testing.T) {
	good := readings(60, 0, 300, 300, 0)
	tests := []struct {
		name string
		r    runResult
		want []string
	}{
		{"valid", runResult{samples: good, checks: 1, final: 6000}, nil},
		{"valid, thresholds failed (exit 99)", runResult{samples: good, checks: -1, final: 6000, exit: 99}, nil},
		{"failed checks", runResult{samples: good, checks: 0.99, final: 6000}, []string{"checks passed 99.000%"}},
		{"dropped", runResult{samples: good, checks: 1, final: 5990, dropped: 10}, []string{"5990 iterations", "10 dropped"}},
		{"interrupted", runResult{samples: good, checks: 1, final: 6000, interrupted: 2}, []string{"2 interrupted"}},
		{"k6 failed", runResult{samples: good, checks: 1, final: 6000, exit: 107, log: "x.log"}, []string{"k6 exited with 107"}},
		{"no readings", runResult{checks: 1, final: 6000}, []string{"no reading counted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.r.problems(100, time.Minute, 10*time.Second), "; ")
			if tt.want == nil {
				assert.Empty(t, got)
			}
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
		})
	}
}

// TestSoakEndToEnd runs a short soak with the real bin/k6 and authflow
// serve, both variants in both modes, and checks the report.
func TestSoakEndToEnd(t *testing.T) {
	k6, bin := os.Getenv("AUTHFLOW_K6"), os.Getenv("AUTHFLOW_BIN")
	if k6 == "" || bin == "" {
		t.Skip("AUTHFLOW_K6 and AUTHFLOW_BIN are not set (make build, then set them)")
	}
	if testing.Short() {
		t.Skip("a minute of k6 runs")
	}
	out := t.TempDir()
	c := config{k6: k6, authflow: bin, scenario: "../../scenarios/soak.js", plain: "scripts/plain.js",
		out: out, report: filepath.Join(out, "soak.md"), duration: 10 * time.Second, interval: time.Second,
		rate: 20, modes: []string{modeSummary, modeNoSamples}, variants: []string{"ext", "js"}, heap: true}
	require.NoError(t, c.check())
	require.NoError(t, run(c))
	b, err := os.ReadFile(c.report)
	require.NoError(t, err)
	md := string(b)
	for _, want := range []string{"## summary:", "## nosamples:", "| k6 CPU per flow, last 2.5s |", "| live heap growth per flow",
		"RSS growth per 1,000 flows after the first 2.5s", "summary-ext:", "nosamples-js:"} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "INVALID")
	assert.NotContains(t, md, "no heap profiles")
	// Every variant's cells of these rows are filled.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| k6 RSS at the end |") || strings.HasPrefix(line, "| live heap growth per flow") {
			cells := strings.Split(line, "|")
			require.Greater(t, len(cells), 3, line)
			assert.NotEqual(t, "–", strings.TrimSpace(cells[2]), line)
			assert.NotEqual(t, "–", strings.TrimSpace(cells[3]), line)
		}
	}
	// No password of the users file in the report or the k6 logs.
	var users []struct{ Password string }
	ub, err := os.ReadFile(filepath.Join(out, "users.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(ub, &users))
	require.NotEmpty(t, users)
	logs, err := filepath.Glob(filepath.Join(out, "*.log"))
	require.NoError(t, err)
	for _, f := range append(logs, c.report) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, u := range users[:50] {
			require.NotContains(t, string(b), u.Password, "%s holds a password", f)
		}
	}
}
