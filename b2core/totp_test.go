package b2core_test

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

func TestTOTPCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, rfcSecret, base32.StdEncoding.EncodeToString([]byte("12345678901234567890")))
	// RFC 6238 Appendix B, SHA-1, truncated to the last 6 digits.
	cases := []struct {
		name   string
		secret string
		unix   int64
		want   string
	}{
		{name: "ok/rfc6238_59", secret: rfcSecret, unix: 59, want: "287082"},
		{name: "ok/rfc6238_1111111109", secret: rfcSecret, unix: 1111111109, want: "081804"},
		{name: "ok/rfc6238_1111111111", secret: rfcSecret, unix: 1111111111, want: "050471"},
		{name: "ok/rfc6238_1234567890", secret: rfcSecret, unix: 1234567890, want: "005924"},
		{name: "ok/rfc6238_2000000000", secret: rfcSecret, unix: 2000000000, want: "279037"},
		{name: "ok/rfc6238_20000000000", secret: rfcSecret, unix: 20000000000, want: "353130"},
		{name: "ok/lowercase", secret: strings.ToLower(rfcSecret), unix: 59, want: "287082"},
		{name: "ok/spaces", secret: "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", unix: 59, want: "287082"},
		{name: "ok/padded", secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====", unix: 59, want: "287082"},
		{name: "ok/unpadded_odd_length", secret: "TPYXG33M4LOHFJHBAB", unix: 59, want: ""},
		{name: "err/empty", secret: "", unix: 59},
		{name: "err/not_base32", secret: "not-base32-189!", unix: 59},
		{name: "err/bad_length", secret: "ABC", unix: 59},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, err := b2core.TOTPCode(tc.secret, time.Unix(tc.unix, 0))
			if strings.HasPrefix(tc.name, "err/") {
				require.Error(t, err)
				assert.ErrorIs(t, err, b2core.ErrBadTOTPSecret)
				if tc.secret != "" {
					assert.NotContains(t, err.Error(), tc.secret)
				}
				return
			}
			require.NoError(t, err)
			require.Len(t, code, 6)
			if tc.want != "" {
				assert.Equal(t, tc.want, code)
			}
			byStep, err := b2core.TOTPCodeAtStep(tc.secret, b2core.TOTPStep(time.Unix(tc.unix, 0)))
			require.NoError(t, err)
			assert.Equal(t, code, byStep)
		})
	}
}

func TestTOTPStep(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int64(1), b2core.TOTPStep(time.Unix(59, 0)))
	assert.Equal(t, int64(2), b2core.TOTPStep(time.Unix(60, 999)))
	assert.Equal(t, int64(37037036), b2core.TOTPStep(time.Unix(1111111109, 0)))
	assert.Equal(t, int64(-1), b2core.TOTPStep(time.Unix(-1, 0)))
	_, err := b2core.TOTPCodeAtStep(rfcSecret, -1)
	assert.Error(t, err)
}

// NextTOTPCode never hands out the same step twice for a secret: the
// current step, then the next, then it waits for the clock.
func TestNextTOTPCode(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111109, 0)
	c := b2core.New(b2core.Config{Now: func() time.Time { return now }})
	ctx := context.Background()
	first, err := c.NextTOTPCode(ctx, rfcSecret)
	require.NoError(t, err)
	assert.Equal(t, "081804", first)
	second, err := c.NextTOTPCode(ctx, strings.ToLower(rfcSecret)) // same secret, other spelling
	require.NoError(t, err)
	want, _ := b2core.TOTPCodeAtStep(rfcSecret, b2core.TOTPStep(now)+1)
	assert.Equal(t, want, second)
	other, err := c.NextTOTPCode(ctx, "TPYXG33M4LOHFJHB")
	require.NoError(t, err)
	want, _ = b2core.TOTPCode("TPYXG33M4LOHFJHB", now)
	assert.Equal(t, want, other)

	// Both steps used and a clock that does not move: the wait ends with
	// the context.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.NextTOTPCode(cctx, rfcSecret)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	_, err = c.NextTOTPCode(ctx, "!!")
	assert.ErrorIs(t, err, b2core.ErrBadTOTPSecret)
}
