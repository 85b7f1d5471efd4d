package main

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/reports"
)

// A handleSummary JSON as the scenarios write it, trimmed to what measure reads.
const capacitySummary = `{
 "state": {"testRunDurationMs": 20000},
 "metrics": {
  "authflow_flow_duration{flow:signin_totp}": {"type": "trend", "contains": "time",
    "values": {"avg": 40, "min": 5, "med": 30, "max": 900, "p(90)": 80, "p(95)": 120, "count": 380},
    "thresholds": {"p(95)<500": {"ok": true}}},
  "authflow_flow_failed{flow:signin_totp}": {"type": "rate", "contains": "default",
    "values": {"rate": 0.02, "passes": 8, "fails": 392}, "thresholds": {"rate<=0.01": {"ok": false}}},
  "iterations": {"type": "counter", "contains": "default", "values": {"count": 380, "rate": 19}},
  "dropped_iterations": {"type": "counter", "contains": "default", "values": {"count": 20, "rate": 1}}
 }
}`

func TestMeasure(t *testing.T) {
	t.Parallel()
	s, err := reports.ParseSummary([]byte(capacitySummary), "fixture")
	require.NoError(t, err)
	tests := []struct {
		name    string
		flow    string
		want    float64 // achieved
		wantErr bool
	}{
		{name: "ok/signin_totp", flow: "signin_totp", want: 19},
		{name: "err/flow-not-in-summary", flow: "signin_sms", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := measure(s, tc.flow, 20)
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.flow)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 120*time.Millisecond, m.P95)
			assert.Equal(t, int64(380), m.Flows)
			assert.InDelta(t, 0.02, m.ErrorRate, 1e-9)
			assert.InDelta(t, tc.want, m.Achieved, 1e-9)
		})
	}
}

func TestCapacityFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"err/no-such-script", []string{"--script", "does/not/exist.js"}},
		{"err/no-k6", []string{"--script", "capacity.go", "--k6", "/nonexistent/k6"}},
		{"err/stray-argument", []string{"extra"}},
		{"err/bad-env", []string{"--script", "capacity.go", "--k6", "go", "--env", "NOEQUALS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := run(slices.Concat([]string{"capacity"}, tc.args), &out, &out)
			assert.Equal(t, ExitUsage, code, out.String())
		})
	}
}
