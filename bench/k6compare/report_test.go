package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// reportHarness is a harness whose runs are given: ext costs cost µs of
// client CPU per flow in its CPU runs, js 1000 µs, go 300 µs; runs of the
// variants in bad are invalid.
func reportHarness(t *testing.T, cost float64, bad ...string) *harness {
	t.Helper()
	h := &harness{
		cfg: config{n: 1000, vus: 10, duration: 10 * time.Second, memVUs: 50, memIters: 2,
			reps: 2, cpuReps: 2, variants: []string{"ext", "js", "go"}},
		out: t.TempDir(), scriptDir: "scripts", server: &server{&serveproc.Server{Base: "http://127.0.0.1:1"}},
		pool: &userPool{users: make([][]byte, 100)}, k6Version: "k6 v2.2.0",
	}
	perFlow := map[string]float64{"ext": cost, "js": 1000, "go": 300}
	for rep := range 2 {
		for _, v := range h.cfg.variants {
			for _, ph := range []phase{phaseBase, phaseCPU, phaseRate, phaseMem} {
				flows := int64(1000)
				if ph == phaseBase {
					flows = 10
				}
				us := perFlow[v] * float64(flows) * (1 + 0.01*float64(rep))
				r := &runResult{spec: runSpec{variant: v, phase: ph, rep: rep, vus: 10, iters: int(flows)},
					cmdline: "k6 run " + v, user: time.Duration(us) * time.Microsecond, flows: flows,
					flowsPerSec: 1e6 / perFlow[v], maxRSSKiB: int64(perFlow[v]) * 100, serverCPU: 200 * time.Millisecond,
					load1: [2]float64{1, 2}}
				for _, b := range bad {
					if b == v {
						r.problems = []string{"exit status 1"}
					}
				}
				h.results = append(h.results, r)
			}
		}
	}
	return h
}

func TestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cost     float64
		bad      []string
		contains []string
		absent   []string
	}{
		{name: "ext cheaper than the target", cost: 500,
			contains: []string{
				"| client CPU per flow, net (µs; 1000-flow run minus 10-flow run) | 502 (500–505) | 1005 (1000–1010) | 302 (300–303) | 0.50× (paired 0.50×, 0.50–0.50) | 1.67× | 3.33× | ≤ 0.60× | **met** |",
				"| flows/s at 10 VUs for 10s | 2000 (2000–2000) | 1000 (1000–1000) | 3333 (3333–3333) | 2.00× (paired 2.00×, 2.00–2.00) | 0.60× | 0.30× | ≥ 1.40× | **met** |",
				"| peak RSS at 50 VUs × 2 flows (MiB) | 48.8 (48.8–48.8) | 97.7 (97.7–97.7) | 29.3 (29.3–29.3) | 0.50× (paired 0.50×, 0.50–0.50) | 1.67× | 3.33× | ≤ 0.80× | **met** |",
				"| cpu-ext-r1 | 10 | 1000 |",
			},
			absent: []string{"INVALID", "NOT met", "client on CPU 0 and server on the others |"}},
		{name: "ext dearer than the target", cost: 700,
			contains: []string{"| 704 (700–707) | 1005 (1000–1010) | 302 (300–303) | 0.70× (paired 0.70×, 0.70–0.70) | 2.33× | 3.33× | ≤ 0.60× | **NOT met** |"}},
		{name: "invalid runs are left out and named", cost: 500, bad: []string{"js"},
			contains: []string{
				"| 502 (500–505) | INVALID | 302 (300–303) | – | 1.67× | – | ≤ 0.60× | no valid runs |",
				"**INVALID runs** (left out of the medians):",
				"- cpu-js-r1: exit status 1",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := reportHarness(t, tc.cost, tc.bad...).report(time.Minute)
			if dir := os.Getenv("K6COMPARE_REPORT_DUMP"); dir != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(t.Name())+".md"), []byte(got), 0o644))
			}
			for _, s := range tc.contains {
				assert.Contains(t, got, s)
			}
			for _, s := range tc.absent {
				assert.NotContains(t, got, s)
			}
		})
	}
}
