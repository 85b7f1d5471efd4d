package conformance

import (
	"fmt"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// TOTP codes come from b2core (github.com/pquerna/otp underneath, tested
// against the RFC 6238 vectors). The suite builds every request itself, so
// the only thing it shares with the client library is this arithmetic.

const totpStep = 30 * time.Second

// decodeBase32Secret validates and normalises a TOTP secret as
// authenticator apps read it: case-insensitive, spaces and padding optional.
func decodeBase32Secret(s string) (string, error) {
	n, err := b2core.NormalizeTOTPSecret(s)
	if err != nil {
		return "", fmt.Errorf("TOTP secret is not base32: %w", err)
	}
	return n, nil
}

// totpStepAt is the RFC 6238 time step of t.
func totpStepAt(t time.Time) int64 { return b2core.TOTPStep(t) }

// totpCode is the code of step for a secret already validated by
// decodeBase32Secret; "" for a negative step, which no server accepts.
func totpCode(secret string, step int64) string {
	code, err := b2core.TOTPCodeAtStep(secret, step)
	if err != nil {
		return ""
	}
	return code
}

// totpSeq hands out TOTP codes for one account in strictly increasing
// steps, so that no code is ever sent twice (a server rejects a replayed
// code, and may reject any code not later than the last accepted one).
// It starts at the current step, may use the next one (the contract
// accepts it) and otherwise waits for time to move on.
type totpSeq struct {
	mu   sync.Mutex
	key  string // normalised base32 secret
	last int64  // last step handed out, 0 for none
}

func newTOTPSeq(secret string) (*totpSeq, error) {
	k, err := decodeBase32Secret(secret)
	if err != nil {
		return nil, err
	}
	return &totpSeq{key: k}, nil
}

// next returns a code never handed out before, and how long the caller
// must wait before sending it (when the steps ran ahead of the clock).
func (s *totpSeq) next(now time.Time) (code string, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := totpStepAt(now)
	step := max(cur, s.last+1)
	if step > cur+1 {
		// Wait until step is the next step: the start of step-1.
		startPrev := time.Unix((step-1)*int64(totpStep/time.Second), 0)
		wait = startPrev.Sub(now) + 100*time.Millisecond
	}
	s.last = step
	return totpCode(s.key, step), wait
}

// markUsed records that the code of step was sent by a check on its own
// (a ±1 probe, say), so that next never repeats it.
func (s *totpSeq) markUsed(step int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = max(s.last, step)
}

// wrongTOTP returns a 6-digit code that is not the code of any step within
// ±10 of now for key.
func wrongTOTP(key string, now time.Time) string {
	cur := totpStepAt(now)
	near := map[string]bool{}
	for d := int64(-10); d <= 10; d++ {
		near[totpCode(key, cur+d)] = true
	}
	c := totpCode(key, cur)
	for i := 1; ; i++ {
		var n int
		fmt.Sscanf(c, "%d", &n)
		w := fmt.Sprintf("%06d", (n+i*104_729)%1_000_000)
		if !near[w] {
			return w
		}
	}
}
