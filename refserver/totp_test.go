package refserver

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"
)

func TestTOTPWindowAndReplay(t *testing.T) {
	t.Parallel()
	code := func(secret string, at time.Time, step int) string {
		c, err := totp.GenerateCodeCustom(secret, at.Add(time.Duration(step)*30*time.Second),
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		require.NoError(t, err)
		return c
	}
	cases := []struct {
		name    string
		defects []string
		steps   []int // codes tried in order, relative to now
		want    []bool
	}{
		{"ok/previous-current-next", nil, []int{-1, 0, 1}, []bool{true, true, true}},
		{"err/replay", nil, []int{0, 0}, []bool{true, false}},
		{"err/older-than-accepted", nil, []int{1, 0, -1}, []bool{true, false, false}},
		{"err/outside-window", nil, []int{2, -2, 3, -3}, []bool{false, false, false, false}},
		{"ok/defect-wide-window", []string{DefectTOTPWideWindow}, []int{-3, 3}, []bool{true, true}},
		{"ok/defect-replay", []string{DefectTOTPReplay}, []int{1, 1, 0}, []bool{true, true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			srv, err := New(Config{Now: clk.Now, Defects: tc.defects, Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			defer srv.Close()
			a := &account{totpSecret: newTOTPSecret()}
			for i, st := range tc.steps {
				a.mu.Lock()
				got := srv.checkTOTPLocked(a, a.totpSecret, code(a.totpSecret, clk.Now(), st))
				a.mu.Unlock()
				require.Equal(t, tc.want[i], got, "code %d (step %+d)", i, st)
			}
		})
	}
	t.Run("err/malformed", func(t *testing.T) {
		t.Parallel()
		srv, err := New(Config{Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		defer srv.Close()
		a := &account{totpSecret: newTOTPSecret()}
		for _, c := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦"} {
			require.False(t, srv.checkTOTPLocked(a, a.totpSecret, c), c)
		}
		require.False(t, srv.checkTOTPLocked(a, "not base32!", "123456"))
	})
}
