package conformance

import (
	"strconv"
	"strings"
	"time"
)

// Time windows: what the lockout and the refresh limit do over time, under
// the policy the suite shortened through PUT {hooks}/policy (window and
// block of a few seconds). Failures must fall out of the window after
// `window` (a sticky counter locks legitimate users out), the block must
// last its `block` (not less) and Retry-After must tell the time left.

func init() {
	windowSrc := src(docCT, "Sign-in and lockout (`attempts` failed sign-in attempts within `window` block the identifier for `block`)")
	refreshSrc := src(docCT, "Sign-in and lockout (at most `attempts` refreshes within `window`, then 429 with `Retry-After` for `block`)")
	retrySrc := src(docCT, "Sign-in and lockout (HTTP 429 with a `Retry-After` header (seconds))")
	register(
		&Check{ID: "LOCK-010", Title: "Failed sign-ins fall out of the window after `window` seconds", Group: GroupLockout, Level: MUST,
			Source: windowSrc, Refs: []string{refRate, refNIST}, Phase: PhaseLockout, Run: windowSignIn},
		&Check{ID: "LOCK-011", Title: "The sign-in block lasts `block` seconds, not less", Group: GroupLockout, Level: MUST,
			Source: windowSrc, Refs: []string{refRate, refNIST}, Phase: PhaseLockout, Run: blockSignIn},
		&Check{ID: "LOCK-012", Title: "A blocked sign-in's Retry-After is the time left of the block", Group: GroupLockout, Level: MUST,
			Source: retrySrc, Refs: []string{refRFC6585, "RFC 9110 §10.2.3"}, Phase: PhaseLockout, Run: retrySignIn},
		&Check{ID: "TOKEN-011", Title: "Refreshes fall out of the window after `window` seconds", Group: GroupTokens, Level: MUST,
			Source: refreshSrc, Refs: []string{refRate}, Phase: PhaseLockout, Run: windowRefresh},
		&Check{ID: "TOKEN-012", Title: "The refresh block lasts `block` seconds, not less", Group: GroupTokens, Level: MUST,
			Source: refreshSrc, Refs: []string{refRate}, Phase: PhaseLockout, Run: blockRefresh},
		&Check{ID: "TOKEN-013", Title: "A rate-limited refresh's Retry-After is the time left of the block", Group: GroupTokens, Level: MUST,
			Source: refreshSrc, Refs: []string{refRFC6585, "RFC 9110 §10.2.3"}, Phase: PhaseLockout, Run: retryRefresh},
	)
}

// needWindowWait SKIPs unless waits.block allows waiting d.
func (t *T) needWindowWait(d time.Duration, what string) {
	if d > t.r.cfg.Waits.Block.D() {
		t.skipAs(SkipWaits, "%s needs a wait of %s and waits.block allows %s (let the suite shorten the policy: policy.shorten with the hooks' PUT /policy)",
			what, d.Round(time.Second), t.r.cfg.Waits.Block)
	}
}

// blockProbeable SKIPs when the block is too short to probe before its end.
func (t *T) blockProbeable(l Limit, min int) {
	if l.BlockSeconds < min {
		t.Skip("precondition not met: a %d s block is too short to probe before it ends (at least %d s needed)", l.BlockSeconds, min)
	}
}

func secondsOf(n int) time.Duration { return time.Duration(n) * time.Second }

// probeMargin is how long before the end of a block b the block checks
// probe: a quarter of it, at least a second (the answer must come back
// before the block ends to tell anything).
func probeMargin(b time.Duration) time.Duration { return max(time.Second, b/4) }

// limitedProbe refreshes with cur (still valid: a limited refresh does not
// use its token up) or, if the limited refresh did use it up, with a new
// session of the same client.
func (t *T) limitedProbe(a *account, cur *sess) *X {
	x := t.refresh(cur.refresh)
	if x.Status() == t.r.cfg.LockoutStatus || x.Is2xx() {
		return x
	}
	t.Note("the refresh token refused with %d was dead afterwards (%s); probed with a new session of the client", t.r.cfg.LockoutStatus, x.StatusText())
	return t.refresh(t.login(a).refresh)
}

// windowSignIn: `attempts`-1 failures, a wait past the window, one more
// failure: the right password must still sign in (the old failures no
// longer count).
func windowSignIn(t *T) {
	l := t.signinLimit()
	if l.Attempts < 2 {
		t.Skip("precondition not met: with attempts %d every failure blocks", l.Attempts)
	}
	w := secondsOf(l.WindowSeconds)
	t.needWindowWait(w+time.Second, "letting failures fall out of the window")
	a := t.newAccount()
	if _, ok := t.failSignIns(a.Email, l.Attempts-1, l); !ok {
		return
	}
	done := time.Now()
	uuid := t.wizard()
	t.sleep(time.Until(done.Add(w + time.Second)))
	x := t.signin(uuid, a.Email, "Wrong-"+randHex(6))
	t.Expect(x.Is4xx() && x.Status() != t.r.cfg.LockoutStatus, x,
		"a failure %s after %d others (window %d s): want a plain failure, the others are out of the window", w+time.Second, l.Attempts-1, l.WindowSeconds)
	ok, y := t.signsIn(a.Email, a.Password)
	t.Expect(ok, y, "the right password after %d failures older than the %d s window and 1 within it is refused: failures outlive the window", l.Attempts-1, l.WindowSeconds)
}

// blockSignIn: the right password shortly before the block ends is
// refused.
func blockSignIn(t *T) {
	l := t.signinLimit()
	t.blockProbeable(l, 2)
	b := secondsOf(l.BlockSeconds)
	t.needWindowWait(b, "probing the end of the block")
	a := t.newAccount()
	last, ok := t.failSignIns(a.Email, l.Attempts, l)
	if !ok {
		return
	}
	if x := t.signinFresh(a.Email, a.Password); x.Status() != t.r.cfg.LockoutStatus {
		t.Skip("precondition not met: no block after %d failures (got %s; see LOCK-001)", l.Attempts, x.StatusText())
	}
	uuid := t.wizard()
	t.sleep(time.Until(last.Add(b - probeMargin(b))))
	x := t.signin(uuid, a.Email, a.Password)
	t.withinBlock(x, last, l.BlockSeconds)
	t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "the right password %s after the block began (block %d s) was not refused with %d: the block ended early",
		time.Since(last).Round(100*time.Millisecond), l.BlockSeconds, t.r.cfg.LockoutStatus)
}

// retrySignIn: two thirds into the block, Retry-After is the time left.
func retrySignIn(t *T) {
	l := t.signinLimit()
	t.blockProbeable(l, 3)
	b := secondsOf(l.BlockSeconds)
	t.needWindowWait(b, "probing Retry-After late in the block")
	a := t.newAccount()
	last, ok := t.failSignIns(a.Email, l.Attempts, l)
	if !ok {
		return
	}
	began := blockBegan{from: last, to: time.Now()}
	uuid := t.wizard()
	t.sleep(time.Until(last.Add(b * 2 / 3)))
	sent := time.Now()
	x := t.signin(uuid, a.Email, a.Password)
	t.wantRetryLeft(x, began, sent, l.BlockSeconds, "blocked sign-in")
}

// blockBegan brackets when a block began: between the request that
// started it being sent and its answer.
type blockBegan struct{ from, to time.Time }

// wantRetryLeft checks that x, sent at sent, is blocked and that its
// Retry-After is the time left of the block, within a second (two for an
// HTTP-date, whose seconds are truncated).
func (t *T) wantRetryLeft(x *X, began blockBegan, sent time.Time, block int, what string) {
	recv := time.Now()
	t.withinBlock(x, began.from, block)
	if x.Status() != t.r.cfg.LockoutStatus {
		t.Skip("precondition not met: %s late in the block was not refused (%s; see LOCK-011/TOKEN-012)", what, x.StatusText())
	}
	d, ok := retryAfter(x)
	if !ok {
		t.Skip("precondition not met: the %d answer has no valid Retry-After (see LOCK-003/TOKEN-004)", x.Status())
	}
	tol := time.Second
	if _, err := strconv.Atoi(strings.TrimSpace(x.Header("Retry-After"))); err != nil {
		tol = 2 * time.Second
	}
	lo := began.from.Add(secondsOf(block)).Sub(recv)
	hi := began.to.Add(secondsOf(block)).Sub(sent)
	t.Expect(d >= lo-tol && d <= hi+tol, x, "%s: Retry-After says %s, but %s to %s of the %d s block were left",
		what, d, lo.Round(100*time.Millisecond), hi.Round(100*time.Millisecond), block)
}

// windowRefresh: `attempts`-1 refreshes, a wait past the window, then two
// more must both succeed.
func windowRefresh(t *T) {
	l := t.refreshLimit()
	if l.Attempts < 2 {
		t.Skip("precondition not met: with attempts %d the window cannot be probed", l.Attempts)
	}
	w := secondsOf(l.WindowSeconds)
	t.needWindowWait(w+time.Second, "letting refreshes fall out of the window")
	s := t.login(t.newAccount())
	cur, _, ok := t.refreshes(s, l.Attempts-1)
	if !ok {
		return
	}
	t.sleep(w + time.Second)
	for i := 1; i <= 2; i++ {
		x := t.refresh(cur.refresh)
		next := tokensOf(x.J())
		if !t.Expect(x.Is2xx() && next != nil, x, "refresh %d of 2 after %d refreshes older than the %d s window was refused: refreshes outlive the window",
			i, l.Attempts-1, l.WindowSeconds) {
			return
		}
		t.secret(next.access, next.refresh)
		cur = next
	}
}

// blockRefresh: a refresh shortly before the block ends is refused.
func blockRefresh(t *T) {
	l := t.refreshLimit()
	t.blockProbeable(l, 2)
	b := secondsOf(l.BlockSeconds)
	t.needWindowWait(b, "probing the end of the refresh block")
	a, cur, _, _, sent := rateLimitedAt(t, true)
	t.sleep(time.Until(sent.Add(b - probeMargin(b))))
	x := t.limitedProbe(a, cur)
	t.withinBlock(x, sent, l.BlockSeconds)
	t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "a refresh %s after the limit began (block %d s) was not refused with %d: the block ended early",
		time.Since(sent).Round(100*time.Millisecond), l.BlockSeconds, t.r.cfg.LockoutStatus)
}

// retryRefresh: two thirds into the refresh block, Retry-After is the time
// left.
func retryRefresh(t *T) {
	l := t.refreshLimit()
	t.blockProbeable(l, 3)
	b := secondsOf(l.BlockSeconds)
	t.needWindowWait(b, "probing Retry-After late in the refresh block")
	a, cur, _, _, sent := rateLimitedAt(t, true)
	began := blockBegan{from: sent, to: time.Now()}
	t.sleep(time.Until(sent.Add(b * 2 / 3)))
	probe := time.Now()
	x := t.limitedProbe(a, cur)
	t.wantRetryLeft(x, began, probe, l.BlockSeconds, "rate-limited refresh")
}
