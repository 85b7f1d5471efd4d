package b2core

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTPPeriod is the RFC 6238 time step in seconds (CONTRACT.md).
const TOTPPeriod = 30

// ErrBadTOTPSecret is the error of a secret that is not base32. Errors
// wrapping it never hold the secret.
var ErrBadTOTPSecret = errors.New("TOTP secret is not valid base32")

var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NormalizeTOTPSecret returns secret as RFC 4648 base32 without padding:
// spaces and dashes dropped, upper case. It fails with ErrBadTOTPSecret if
// the result is empty or not base32.
func NormalizeTOTPSecret(secret string) (string, error) {
	if canonicalBase32(secret) {
		return secret, nil // as authenticator apps and the server write it: nothing to copy or check again
	}
	return normalizeTOTPSecret(secret)
}

func normalizeTOTPSecret(secret string) (string, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(secret))
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrBadTOTPSecret)
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s); err != nil {
		return "", ErrBadTOTPSecret
	}
	return s, nil
}

// canonicalBase32 reports whether s is non-empty, upper-case base32
// without padding, of a length a byte count encodes to: what
// normalizeTOTPSecret would return unchanged (FuzzCanonicalBase32).
func canonicalBase32(s string) bool {
	switch len(s) % 8 {
	case 1, 3, 6: // lengths no byte count encodes to
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return s != ""
}

// TOTPCode returns the RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32
// secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	s, err := NormalizeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	if t.Unix() < 0 {
		return "", errors.New("TOTP time before 1970")
	}
	code, err := totp.GenerateCodeCustom(s, t, totpOpts)
	if err != nil {
		return "", ErrBadTOTPSecret // the library's error may quote the input
	}
	return code, nil
}

// TOTPCodeAtStep returns the code of time step step (see TOTPStep).
func TOTPCodeAtStep(secret string, step int64) (string, error) {
	s, err := NormalizeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return codeAtStep(s, step)
}

// codeAtStep is TOTPCodeAtStep for a normalized secret.
func codeAtStep(s string, step int64) (string, error) {
	if step < 0 {
		return "", errors.New("negative TOTP step")
	}
	code, err := hotp.GenerateCodeCustom(s, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", ErrBadTOTPSecret
	}
	return code, nil
}

// TOTPStep returns the RFC 6238 time step of t: floor(unix seconds / 30).
func TOTPStep(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return (u - TOTPPeriod + 1) / TOTPPeriod
	}
	return u / TOTPPeriod
}

// totpTracker remembers, per secret, the last time step this client used.
// Only the current and the next step matter, so entries older than that are
// swept once each time the step moves on: amortised O(1) per code, and the
// map holds no more than the secrets used within the last two steps.
type totpTracker struct {
	mu      sync.Mutex
	last    map[string]int64
	sweptAt int64 // the step of the last sweep
}

// reserve returns the step to use for key when the clock is at now, and
// false if the current and the next step were both used already.
func (t *totpTracker) reserve(key string, now int64) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]int64{}
	}
	if now > t.sweptAt {
		for k, v := range t.last {
			if v < now {
				delete(t.last, k)
			}
		}
		t.sweptAt = now
	}
	step := now
	if last, ok := t.last[key]; ok && last >= step {
		step = last + 1
	}
	if step > now+1 {
		return 0, false
	}
	t.last[key] = step
	return step, true
}

// NextTOTPCode returns a TOTP code for secret that this client has not sent
// yet, by the clock of Config.Now. Servers refuse a replayed code and accept
// the previous and the next step (CONTRACT.md), so it uses the current
// step, or the next one if the current one was used; if both were, it waits
// for the clock to move on (ctx ends the wait; the wait is reported as
// WaitTOTPStep to the context's WaitObserver), or with Config.TOTPNoWait
// fails at once with ErrTOTPStepUsed.
func (c *Client) NextTOTPCode(ctx context.Context, secret string) (string, error) {
	key, err := NormalizeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	for waited := false; ; waited = true {
		now := c.now()
		if step, ok := c.totp.reserve(key, TOTPStep(now)); ok {
			return codeAtStep(key, step)
		}
		if waited {
			return "", errors.New("TOTP codes of this secret used up and the clock does not move")
		}
		if c.cfg.TOTPNoWait {
			return "", ErrTOTPStepUsed
		}
		next := time.Unix((TOTPStep(now)+1)*TOTPPeriod, 0)
		d := next.Sub(now) + 10*time.Millisecond
		start := time.Now()
		ok := Sleep(ctx, d)
		NoteWait(ctx, WaitTOTPStep, time.Since(start))
		if !ok {
			return "", ctx.Err()
		}
	}
}
