package conformance

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Lockout: `attempts` failures within `window` block the identifier for
// `block`; while blocked every attempt, the right password too, gets the
// lockout status with Retry-After (CONTRACT.md "Sign-in and lockout").
// These checks run in the lockout phase, alone, under the policy the run
// settled (possibly shortened through PUT /policy).

const (
	refRate    = "ASVS 5.0 6.3.1"
	refNIST    = "NIST SP 800-63B-3 §5.2.2"
	refRFC6585 = "RFC 6585 §4"
)

// signinLimit returns the sign-in policy the run expects, or SKIPs.
func (t *T) signinLimit() Limit {
	if t.r.policyErr != "" {
		t.skipAs(SkipPolicy, "the lockout policy is unknown: %s", t.r.policyErr)
	}
	return t.r.policy.SignIn
}

// refreshLimit returns the refresh policy the run expects, or SKIPs.
func (t *T) refreshLimit() Limit {
	if t.r.policyErr != "" {
		t.skipAs(SkipPolicy, "the refresh policy is unknown: %s", t.r.policyErr)
	}
	return t.r.policy.Refresh
}

// failSignIns makes n failed sign-ins for email (wrong passwords), each
// wanted to be a 4xx other than the lockout status, within the window.
// It returns when the last one was sent (the block starts after it), and
// false (after recording the failure) if one was not a plain failure.
func (t *T) failSignIns(email string, n int, l Limit) (time.Time, bool) {
	start := time.Now()
	var last time.Time
	for i := 1; i <= n; i++ {
		uuid := t.wizard()
		last = time.Now()
		x := t.signin(uuid, email, "Wrong-"+randHex(6))
		if !t.Expect(x.Is4xx() && x.Status() != t.r.cfg.LockoutStatus, x,
			"failed attempt %d of %d (policy: %s): want a 4xx other than the lockout status %d", i, n, l, t.r.cfg.LockoutStatus) {
			return last, false
		}
	}
	if el := time.Since(start); el >= time.Duration(l.WindowSeconds)*time.Second {
		t.Errorf("the %d failed attempts took %s, longer than the %d s window: the target is too slow for this check", n, el.Round(time.Millisecond), l.WindowSeconds)
	}
	return last, true
}

// withinBlock ends the check as ERROR when x, which should have met the
// block, is not the lockout status and came so late after the attempt
// that started the block (sent at since) that the block may have ended:
// a slow target must not be failed for a block it kept.
func (t *T) withinBlock(x *X, since time.Time, blockSeconds int) {
	if x.Status() == t.r.cfg.LockoutStatus {
		return
	}
	if el := time.Since(since); el >= time.Duration(blockSeconds)*time.Second {
		t.Errorf("the answer came %s after the attempt that should have started the %d s block: too slow to tell whether the block was kept", el.Round(time.Millisecond), blockSeconds)
	}
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3), relative to the answer's Date when it has one.
func retryAfter(x *X) (time.Duration, bool) {
	v := strings.TrimSpace(x.Header("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 31); err == nil {
		return time.Duration(n) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	ref := time.Now()
	if d, err := http.ParseTime(x.Header("Date")); err == nil {
		ref = d
	}
	return at.Sub(ref), true
}

// wantRetryAfter checks a lockout answer's Retry-After.
func (t *T) wantRetryAfter(x *X, what string) {
	v := x.Header("Retry-After")
	if !t.Expect(v != "", x, "%s: the %d answer has no Retry-After header", what, x.Status()) {
		return
	}
	_, ok := retryAfter(x)
	t.Expect(ok, x, "%s: Retry-After %q is neither delay-seconds nor an HTTP-date", what, v)
}

// wantRetryWithin checks that a Retry-After is positive and no longer than
// the block (1 s of rounding allowed).
func (t *T) wantRetryWithin(x *X, block int, what string) {
	d, ok := retryAfter(x)
	if !ok {
		t.Skip("precondition not met: the lockout answer has no valid Retry-After (see LOCK-003/TOKEN-004)")
	}
	max := time.Duration(block+1) * time.Second
	t.Expect(d > 0 && d <= max, x, "%s: Retry-After is %s, want more than 0 and at most the %d s block", what, d, block)
}

// lockedOut makes `attempts` failures for a fresh account and returns the
// answer to the next attempt with password pw ("" = another wrong one),
// SKIPping if that answer is not the lockout status and requireLock.
func lockedOut(t *T, pw string, requireLock bool) (*account, *X, Limit) {
	l := t.signinLimit()
	a := t.newAccount()
	last, ok := t.failSignIns(a.Email, l.Attempts, l)
	if !ok {
		t.FailNow("the lockout could not be reached")
	}
	if pw == "" {
		pw = "Wrong-" + randHex(6)
	}
	x := t.signinFresh(a.Email, pw)
	t.withinBlock(x, last, l.BlockSeconds)
	if requireLock && x.Status() != t.r.cfg.LockoutStatus {
		t.Skip("precondition not met: no lockout after %d failures (got %s; see LOCK-001)", l.Attempts, x.StatusText())
	}
	return a, x, l
}

func init() {
	lockSrc := src(docCT, "Sign-in and lockout") + "; " + src(doc002, "Sign in to the B2Core UI (note)")
	register(
		&Check{
			ID: "LOCK-001", Title: "Exactly `attempts` failed sign-ins within the window block the next attempt", Group: GroupLockout, Level: MUST,
			Source: lockSrc, Refs: []string{refRate, refNIST}, Phase: PhaseLockout,
			Run: func(t *T) {
				_, x, l := lockedOut(t, "", false)
				t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "attempt %d, after %d failures within %d s: want the lockout status %d",
					l.Attempts+1, l.Attempts, l.WindowSeconds, t.r.cfg.LockoutStatus)
			},
		},
		&Check{
			ID: "LOCK-002", Title: "The right password is refused while the account is blocked", Group: GroupLockout, Level: MUST,
			Source: lockSrc, Refs: []string{refRate, refNIST}, Phase: PhaseLockout,
			Run: func(t *T) {
				l := t.signinLimit()
				a := t.newAccount()
				last, ok := t.failSignIns(a.Email, l.Attempts, l)
				if !ok {
					t.FailNow("the lockout could not be reached")
				}
				x := t.signinFresh(a.Email, a.Password)
				t.withinBlock(x, last, l.BlockSeconds)
				t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "the right password after %d failures: want the lockout status %d", l.Attempts, t.r.cfg.LockoutStatus)
				t.Expect(tokensOf(x.J()) == nil && workflow(x) != b2core.Workflow2FA, x, "the right password got past the password step while blocked")
			},
		},
		&Check{
			ID: "LOCK-003", Title: "A blocked sign-in carries a valid Retry-After", Group: GroupLockout, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (HTTP 429 with a Retry-After header)"), Refs: []string{refRFC6585}, Phase: PhaseLockout,
			Run: func(t *T) {
				a, x, _ := lockedOut(t, "", true)
				t.wantRetryAfter(x, "blocked sign-in")
				z := t.signinFresh(a.Email, a.Password) // if no longer blocked (a slow target), not checked
				if z.Status() == t.r.cfg.LockoutStatus {
					t.wantRetryAfter(z, "blocked sign-in with the right password")
				}
			},
		},
		&Check{
			ID: "LOCK-004", Title: "Retry-After does not exceed the block", Group: GroupLockout, Level: SHOULD,
			Source: src(docCT, "Sign-in and lockout"), Refs: []string{refRFC6585}, Phase: PhaseLockout,
			Run: func(t *T) {
				_, x, l := lockedOut(t, "", true)
				t.wantRetryWithin(x, l.BlockSeconds, "blocked sign-in")
			},
		},
		&Check{
			ID: "LOCK-005", Title: "The block ends after `block` seconds", Group: GroupLockout, Level: MUST,
			Source: lockSrc, Refs: []string{refNIST}, Phase: PhaseLockout,
			Run: func(t *T) {
				l := t.signinLimit()
				wait := time.Duration(l.BlockSeconds)*time.Second + time.Second
				if wait > t.r.cfg.Waits.Block.D() {
					t.skipAs(SkipWaits, "the block is %d s and waits.block allows %s (let the suite shorten it: policy.shorten with the hooks' PUT /policy)", l.BlockSeconds, t.r.cfg.Waits.Block)
				}
				a, _, _ := lockedOut(t, "", true)
				blockedAt := time.Now()
				t.sleep(time.Until(blockedAt.Add(wait)))
				ok, y := t.signsIn(a.Email, a.Password)
				t.Expect(ok, y, "the right password %s after the block began (block %d s) is still refused", wait, l.BlockSeconds)
			},
		},
		&Check{
			ID: "LOCK-006", Title: "An unknown email gets the same status and body shape as a wrong password", Group: GroupLockout, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (responses do not reveal which emails exist)"),
			Run: func(t *T) {
				a := t.newAccount()
				pw := "Wrong-" + randHex(6)
				x := t.signinFresh(a.Email, pw)
				y := t.signinFresh(unknownEmail(), pw)
				if !t.Expect(x.Is4xx(), x, "a wrong password: want a 4xx") {
					return
				}
				t.Expect(y.Status() == x.Status(), y, "an unknown email answers HTTP %d where a wrong password answers HTTP %d", y.Status(), x.Status())
				t.sameShape(x, y, "wrong password vs unknown email")
			},
		},
		&Check{
			ID: "LOCK-007", Title: "An unknown email is locked out like a known one", Group: GroupLockout, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (unknown emails are counted the same way)"), Refs: []string{refRate}, Phase: PhaseLockout,
			Run: func(t *T) {
				l := t.signinLimit()
				e := unknownEmail()
				last, ok := t.failSignIns(e, l.Attempts, l)
				if !ok {
					return
				}
				x := t.signinFresh(e, "Wrong-"+randHex(6))
				t.withinBlock(x, last, l.BlockSeconds)
				t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "an unknown email after %d failures: want the lockout status %d", l.Attempts, t.r.cfg.LockoutStatus)
			},
		},
		&Check{
			ID: "LOCK-008", Title: "Failed 2FA codes count toward the lockout", Group: GroupLockout, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (wrong password, wrong 2FA code)"), Refs: []string{refRate, refNIST}, Phase: PhaseLockout,
			Run: func(t *T) {
				l := t.signinLimit()
				a := t.newAccount(b2core.ProviderGoogle)
				uuid, _ := t.to2FAStep(a, b2core.ProviderGoogle)
				var last time.Time
				for i := 1; i <= l.Attempts; i++ {
					last = time.Now()
					x := t.post2FACode(uuid, b2core.ProviderGoogle, wrongTOTP(a.totp.key, t.r.now()))
					if !t.Expect(x.Is4xx(), x, "wrong code %d of %d: want a 4xx", i, l.Attempts) {
						return
					}
					if x.Status() == t.r.cfg.LockoutStatus {
						t.Note("the %d-th wrong code already answered the lockout status", i)
						break
					}
				}
				y := t.signinFresh(a.Email, "Wrong-"+randHex(6))
				t.withinBlock(y, last, l.BlockSeconds)
				t.Expect(y.Status() == t.r.cfg.LockoutStatus, y, "a sign-in after %d wrong 2FA codes: want the lockout status %d", l.Attempts, t.r.cfg.LockoutStatus)
			},
		},
		&Check{
			ID: "LOCK-009", Title: "An unknown email gets the same message as a wrong password", Group: GroupLockout, Level: SHOULD,
			Source: src(docCT, "Sign-in and lockout (responses do not reveal which emails exist)"),
			Run: func(t *T) {
				a := t.newAccount()
				pw := "Wrong-" + randHex(6)
				x := t.signinFresh(a.Email, pw)
				y := t.signinFresh(unknownEmail(), pw)
				mx, my := jstr(x.J(), "message"), jstr(y.J(), "message")
				t.Expect(mx == my, y, "the messages differ: %q vs %q", excerpt(mx, 120), excerpt(my, 120))
			},
		},
	)
}
