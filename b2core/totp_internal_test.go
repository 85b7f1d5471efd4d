package b2core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tracker keeps only what still matters (the secrets used in the
// current or next step), however many secrets a long run goes through.
func TestTOTPTrackerBounded(t *testing.T) {
	t.Parallel()
	var tr totpTracker
	const step = int64(1000)
	for i := range 10_000 {
		got, ok := tr.reserve(fmt.Sprintf("S%d", i), step)
		require.True(t, ok)
		require.Equal(t, step, got)
	}
	// Same step: the next code of a used secret is the next step's, then none.
	got, ok := tr.reserve("S1", step)
	require.True(t, ok)
	require.Equal(t, step+1, got)
	_, ok = tr.reserve("S1", step)
	require.False(t, ok)
	// One step on, only S1 (used up to step+1) is still remembered.
	got, ok = tr.reserve("S2", step+1)
	require.True(t, ok)
	require.Equal(t, step+1, got)
	require.Len(t, tr.last, 2)
	_, ok = tr.reserve("S1", step+1)
	require.True(t, ok, "S1's step+2 code once the clock reaches step+1")
}

// FuzzCanonicalBase32 holds NormalizeTOTPSecret's shortcut to the full
// normalization: a secret it takes as canonical is one the full path
// returns unchanged, without error.
func FuzzCanonicalBase32(f *testing.F) {
	for _, s := range []string{"JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PX", "jbswy3dp", "A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEFG",
		"ABCDEFGH", "A1", "AAAAAAA=", "AB CD", "", "2222222222"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !canonicalBase32(s) {
			return
		}
		got, err := normalizeTOTPSecret(s)
		if err != nil || got != s {
			t.Fatalf("canonicalBase32(%q) but the full path gives %q, %v", s, got, err)
		}
	})
}
