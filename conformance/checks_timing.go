package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Enumeration by timing (ASVS 5.0 6.3.8 names response times): a wrong
// password for an existing email must not take measurably longer than for
// an unknown one. The check sends the two kinds of sign-in in pairs, the
// two of a pair at the same instant (a burst of two, on fresh accounts and
// fresh unknown emails so that no lockout is reached), and takes each
// pair's difference of server times: the two requests of a pair meet the
// same load, so the difference cancels most of it. It WARNs when three things hold: the
// median difference exceeds max(timingFloor, the differences' MAD), the
// 95 % bootstrap interval of that median excludes 0, and a sign test says
// the existing email is slower in more pairs than chance allows (one-sided
// p < timingP). Loopback noise on a correct server meets none of them (its
// median difference is far below the floor); an unknown email that skips
// a real password hash meets all three, also on a loaded machine.

const (
	timingSamples = 31 // per kind
	timingFloor   = 2 * time.Millisecond
	timingP       = 0.001
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
	var known, unknown, diffs []time.Duration
	var a *account
	for i := range timingSamples {
		if i%per == 0 {
			a = t.newAccount()
		}
		k, u := t.timedPair(a.Email, i)
		known, unknown, diffs = append(known, k), append(unknown, u), append(diffs, k-u)
	}
	d := median(diffs)
	threshold := max(timingFloor, residualMAD(diffs))
	lo, hi := bootstrapMedian(diffs, timingRounds, 0.025)
	slower := 0
	for _, x := range diffs {
		if x > 0 {
			slower++
		}
	}
	p := signTestP(slower, len(diffs))
	t.Note("existing email: median %s of %s; unknown email: median %s of %s; paired difference: median %s, 95%% CI [%s, %s]; threshold max(%s, MAD) = %s; the existing email slower in %d of %d pairs (sign test p = %.2g)",
		ms(median(known)), msList(known), ms(median(unknown)), msList(unknown), ms(d), ms(lo), ms(hi), ms(timingFloor), ms(threshold), slower, len(diffs), p)
	if d > threshold && lo > 0 && p < timingP {
		t.Fail("a wrong password for an existing email takes %s longer (median of paired differences) than for an unknown one, above the %s threshold and in %d of %d pairs (p = %.2g): response times tell which emails exist",
			ms(d), ms(threshold), slower, len(diffs), p)
	}
}

// timedPair sends a wrong password for email and one for an unknown email
// at the same instant (a burst of two: both meet the same load) and
// returns their times (request sent to answer read), wanting plain
// failures.
func (t *T) timedPair(email string, i int) (known, unknown time.Duration) {
	reqs := make([]burstReq, 2)
	for j, e := range []string{email, unknownEmail()} {
		pw := "Wrong-" + randHex(6)
		t.secret(pw)
		reqs[j] = burstReq{step: fmt.Sprintf("pair %d: wrong password", i+1), method: http.MethodPost, path: api + "/signin",
			body: map[string]any{"uuid": t.wizard(), "email": e, "password": pw, "device_fingerprint": t.r.fingerprint()}}
	}
	xs := t.burst(reqs)
	for _, x := range xs {
		t.Require(x.Is4xx() && x.Status() != t.r.cfg.LockoutStatus, x, "pair %d: a wrong password must be a plain 4xx failure", i+1)
	}
	return xs[0].Resp.Duration, xs[1].Resp.Duration
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
