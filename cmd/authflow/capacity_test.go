package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
		{"err/negative-warmup", []string{"--script", "capacity.go", "--k6", "go", "--warmup", "-1s"}},
		{"err/short-window", []string{"--script", "capacity.go", "--k6", "go", "--duration", "100ms"}},
		{"err/no-vus", []string{"--script", "capacity.go", "--k6", "go", "--max-vus", "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := run(append([]string{"capacity"}, tc.args...), &out, &out)
			assert.Equal(t, ExitUsage, code, out.String())
		})
	}
}
