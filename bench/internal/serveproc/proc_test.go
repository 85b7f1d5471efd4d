package serveproc

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr string
	}{
		{"ok", "Name:\tk6\nVmPeak:\t  999 kB\nVmRSS:\t  141236 kB\nRssAnon:\t 1 kB\n", 141236, ""},
		{"zombie", "Name:\tk6\nState:\tZ (zombie)\n", 0, "no VmRSS line"},
		{"malformed", "VmRSS:\t12x kB\n", 0, "VmRSS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StatusKiB([]byte(tt.status), "VmRSS")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 250 and 50 ticks: 3 s.
	rest := " S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0"
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr string
	}{
		{"plain name", "4242 (k6)" + rest, 3 * time.Second, ""},
		{"name with spaces and parentheses", "4242 (k6 (x) run)" + rest, 3 * time.Second, ""},
		{"no name", "4242 k6 S 1 2", 0, "no command name"},
		{"too short", "4242 (k6) S 1 2 3", 0, "fields after the command name"},
		{"bad number", "4242 (k6) S 1 2 3 4 5 6 7 8 9 10 x 50 0", 0, "utime/stime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatCPU([]byte(tt.stat))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStatCPUOfThisProcess(t *testing.T) {
	_, err := StatCPU(os.Getpid())
	require.NoError(t, err)
	_, err = StatCPU(1 << 30) // no such process
	require.Error(t, err)
}
