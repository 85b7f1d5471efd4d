package conformance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Enumeration by timing (ASVS 5.0 6.3.8 names response times): a wrong
// password for an existing email must not take measurably longer than for
// an unknown one. The check interleaves the two kinds of sign-in (in a
// random order within each pair, on fresh accounts and fresh unknown
// emails so that no lockout is reached) and compares the medians of their
// server times. It WARNs when the existing email is slower by more than
// max(timingFloor, timingMADs × the spread within the groups) and the 95 %
// bootstrap interval of the difference excludes 0. Loopback noise is far
// below that threshold; an unknown email that skips the password hash is
// far above it with any real hash cost.

const (
	timingSamples = 31 // per kind
	timingFloor   = 2 * time.Millisecond
	timingMADs    = 5
	timingRounds  = 2000
)

func init() {
	register(&Check{ID: "TIME-001", Title: "A wrong password takes no longer for an existing email than for an unknown one", Group: GroupLockout, Level: SHOULD,
		Source: src(docCT, "Sign-in and lockout (responses do not reveal which emails exist)"),
		Refs:   []string{"ASVS 5.0 6.3.8", "CWE-208"}, Run: timingEnumeration})
}

func timingEnumeration(t *T) {
	l := t.signinLimit()
	per := max(1, l.Attempts-1) // failures per account, short of a block
	var known, unknown []time.Duration
	var a *account
	for i := range timingSamples {
		if i%per == 0 {
			a = t.newAccount()
		}
		uk, uu := t.wizard(), t.wizard()
		first := rand.IntN(2) == 0
		for j := range 2 {
			if (j == 0) == first {
				known = append(known, t.timedWrongPassword(uk, a.Email, i))
			} else {
				unknown = append(unknown, t.timedWrongPassword(uu, unknownEmail(), i))
			}
		}
	}
	mk, mu := median(known), median(unknown)
	spread := residualMAD(known, unknown)
	lo, hi := bootstrapMedianDiff(known, unknown, timingRounds, 0.025)
	threshold := max(timingFloor, timingMADs*spread)
	t.Note("existing email: median %s of %s; unknown email: median %s of %s; difference %s, 95%% CI [%s, %s]; threshold max(%s, %d × MAD %s) = %s",
		ms(mk), msList(known), ms(mu), msList(unknown), ms(mk-mu), ms(lo), ms(hi), ms(timingFloor), timingMADs, ms(spread), ms(threshold))
	if mk-mu > threshold && lo > 0 {
		t.Fail("a wrong password for an existing email takes %s longer (median) than for an unknown one, above the %s threshold: response times tell which emails exist",
			ms(mk-mu), ms(threshold))
	}
}

// timedWrongPassword signs in with a wrong password and returns the
// server time (request sent to answer read), wanting a plain failure.
func (t *T) timedWrongPassword(uuid, email string, i int) time.Duration {
	pw := "Wrong-" + randHex(6)
	x := t.signin(uuid, email, pw)
	t.Require(x.Is4xx() && x.Status() != t.r.cfg.LockoutStatus, x, "sample %d: a wrong password must be a plain 4xx failure", i+1)
	return x.Resp.Duration
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// msList writes sorted samples in milliseconds.
func msList(xs []time.Duration) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
	}
	return "[" + strings.Join(parts, " ") + "] ms"
}
