package conformance

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The suite computes TOTP codes itself (RFC 6238: HMAC-SHA-1, 6 digits,
// 30-second steps), independently of the client library the server under
// test may share, so that a bug common to both cannot hide.

const totpStep = 30 * time.Second

// decodeBase32Secret decodes a TOTP secret as authenticator apps do:
// case-insensitive, spaces and padding optional.
func decodeBase32Secret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	s = strings.TrimRight(s, "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("TOTP secret is not base32: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("TOTP secret is empty")
	}
	return b, nil
}

// hotp is RFC 4226 with 6 digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// totpStepAt is the RFC 6238 time step of t.
func totpStepAt(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// totpCode is the code of step for key.
func totpCode(key []byte, step int64) string { return hotp(key, step) }

// totpSeq hands out TOTP codes for one account in strictly increasing
// steps, so that no code is ever sent twice (a server rejects a replayed
// code, and may reject any code not later than the last accepted one).
// It starts at the current step, may use the next one (the contract
// accepts it) and otherwise waits for time to move on.
type totpSeq struct {
	mu   sync.Mutex
	key  []byte
	last int64 // last step handed out, 0 for none
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
func wrongTOTP(key []byte, now time.Time) string {
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
