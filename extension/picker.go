package extension

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"github.com/sirupsen/logrus"

	"go.k6.io/k6/v2/js/common"

	"github.com/authflow/authflow/b2core"
)

// Limit is a rate limit as the test hooks' GET /policy shows it: Attempts
// failures within WindowSeconds block for BlockSeconds. A script may pass
// hooks.getPolicy().signin as the picker's policy.
type Limit struct {
	Attempts      int `js:"attempts"`
	WindowSeconds int `js:"windowSeconds"`
	BlockSeconds  int `js:"blockSeconds"`
}

// defaultLimit is the documents' default: 5 attempts a minute, 10-minute block.
func defaultLimit() Limit { return Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600} }

func (l *Limit) fill() {
	d := defaultLimit()
	if l.Attempts <= 0 {
		l.Attempts = d.Attempts
	}
	if l.WindowSeconds <= 0 {
		l.WindowSeconds = d.WindowSeconds
	}
	if l.BlockSeconds <= 0 {
		l.BlockSeconds = d.BlockSeconds
	}
}

func (l Limit) window() time.Duration { return time.Duration(l.WindowSeconds) * time.Second }
func (l Limit) block() time.Duration  { return time.Duration(l.BlockSeconds) * time.Second }

// pickerOptions are the options of new UserPicker(users, options).
type pickerOptions struct {
	// Name shares one picker state between every VU that names it; the
	// default is the user file's path, or "default".
	Name string `js:"name"`
	// Policy is the server's sign-in lockout policy.
	Policy *Limit `js:"policy"`
	// Rate is the number of sign-ins per second the test will ask for; it
	// lets the picker warn at once when the pool is too small.
	Rate float64 `js:"rate"`
	// TOTP honours TOTP replay protection for users with a totpSecret
	// (default true).
	TOTP *bool `js:"totp"`
	// Lease is how long a user handed out stays reserved unless released
	// (default 60s).
	Lease time.Duration `js:"lease"`
	// TwoFactor keeps only the users of one 2FA kind: none, google (google
	// enabled), sms (sms enabled), both, or any (the default).
	TwoFactor string `js:"twoFactor"`
	// MaxWait bounds how long next() waits for a user to become available
	// (default 30s, one TOTP step); past it next() returns null.
	MaxWait time.Duration `js:"maxWait"`
}

// totpMargin is the headroom the pool-size advice adds over 30 × rate.
const totpMargin = 1.2

// pickEntry is one user's state in a picker. It holds no pointer (times
// are Unix nanoseconds, the user an index into the picker's userSet), so
// that a picker over a million users adds nothing for the garbage
// collector to scan at each cycle: as pointers, 100,000 entries made each
// cycle of a k6 run cost 38 ms of CPU instead of 4.
type pickEntry struct {
	user        int32 // index in pickerState.set
	totp        bool  // TOTP replay protection applies
	leaseID     int64 // incremented at each pick
	leasedUntil int64 // reserved until (Unix ns; 0: never leased)
	lastStep    int64 // the last TOTP step it may have used (-1: none)
	blocked     int64 // locked out until (Unix ns; 0: never)
}

// pickLease is a user handed out by next, with the id of its lease.
type pickLease struct {
	user    User
	leaseID int64
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// pickerState is shared by every VU using the same picker name.
type pickerState struct {
	name string
	now  func() time.Time

	mu      sync.Mutex
	set     *userSet
	entries []pickEntry
	// noneBefore: no entry is available before this time (Unix ns), as the
	// last fruitless scan found, but for the entries changed since (see
	// touch), which tryPick looks at first.
	noneBefore int64
	changed    []int32
	// For mayFreeBy: freeWitness is the entry last found free of all but
	// its lease, where the next search starts; no entry is free of all but
	// its lease before noneFreeBefore (Unix ns; 0: unknown). An entry's time
	// only moves later (a spent TOTP step, a block) except where
	// lowerFreeBound resets the bound.
	freeWitness    int
	noneFreeBefore int64
	// failures are the recent refused attempts of the entries that have
	// any; updated the users update() changed.
	failures  map[int32][]time.Time
	updated   map[int32]User
	cursor    int
	leaseID   int64
	picks     []time.Time // picks of the last 30 s, for the measured rate
	firstPick time.Time
	warned    map[string]bool
	// freed, when a VU waits in next, is closed by the next release.
	freed chan struct{}

	policy  Limit
	rate    float64
	totp    bool
	lease   time.Duration
	maxWait time.Duration
}

func newPickerState(name string, set *userSet, o pickerOptions) *pickerState {
	p := &pickerState{
		name:     name,
		now:      time.Now,
		set:      set,
		failures: map[int32][]time.Time{},
		updated:  map[int32]User{},
		warned:   map[string]bool{},
		rate:     o.Rate,
		totp:     o.TOTP == nil || *o.TOTP,
		lease:    o.Lease,
		maxWait:  o.MaxWait,
	}
	if o.Policy != nil {
		p.policy = *o.Policy
	}
	p.policy.fill()
	if p.lease <= 0 {
		p.lease = time.Minute
	}
	if o.MaxWait == 0 {
		p.maxWait = b2core.TOTPPeriod * time.Second
	}
	p.addEntries(o.TwoFactor)
	if len(p.entries) > 0 {
		// A random start: back-to-back runs over the same user file (within
		// one 30-second step) do not begin with the users the last run just
		// used, whose TOTP codes the server would refuse as replays.
		p.cursor = rand.IntN(len(p.entries)) //nolint:gosec // not a secret
	}
	return p
}

// addEntries makes an entry of each user of the set of 2FA kind, one per
// email (one account, one lockout counter): two passes over the packed
// records, one to count, one to fill.
func (p *pickerState) addEntries(kind string) {
	match := kindMatcher(kind)
	n := 0
	for _, chunk := range p.set.recs {
		for k := range chunk {
			if r := &chunk[k]; r.tf&tfDup == 0 && match(r) {
				n++
			}
		}
	}
	p.entries = make([]pickEntry, 0, n)
	for c, chunk := range p.set.recs {
		for k := range chunk {
			r := &chunk[k]
			if r.tf&tfDup != 0 || !match(r) {
				continue
			}
			// A userSet has fewer than 2^31 users (its texts fit in 4 GiB).
			i := int32(c<<recChunkBits + k) //nolint:gosec // see above
			p.entries = append(p.entries, pickEntry{user: i, lastStep: -1, totp: p.totp && r.lens[fieldTOTPSecret] > 0})
		}
	}
}

// kindMatcher returns whether a user's record is of 2FA kind.
func kindMatcher(kind string) func(r *userRec) bool {
	return func(r *userRec) bool {
		g, s := r.tf&tfGoogle != 0, r.tf&tfSMS != 0
		if r.tf&tfGiven == 0 { // a script's user object without twoFactor
			g, s = r.lens[fieldTOTPSecret] > 0, r.lens[fieldPhone] > 0
		}
		return matchKind(g, s, kind)
	}
}

// Lease ids: the entry's index in the low 31 bits, a pick count above
// (kept below 2^53, so that a script's number holds it exactly).
const (
	leaseIdxBits = 31
	leaseSeqMask = 1<<22 - 1
)

func leaseIDOf(seq int64, idx int) int64 { return (seq&leaseSeqMask+1)<<leaseIdxBits | int64(idx) }

// entryOf returns the entry of email about to change; the lease id, when
// given, finds it without a look-up.
func (p *pickerState) entryOf(email string, leaseID int64) (int32, bool) {
	if leaseID > 0 {
		i := int32(leaseID & (1<<leaseIdxBits - 1)) //nolint:gosec // 31 bits
		if int(i) < len(p.entries) && p.emailOf(i) == email {
			p.touch(i)
			return i, true
		}
	}
	return p.lookup(email)
}

// lookup returns the index of the entry of email, which the caller may
// change: the set finds the user, and the entries, in the set's order,
// find its entry.
func (p *pickerState) lookup(email string) (int32, bool) {
	u, ok := p.set.lookup(email)
	if !ok {
		return 0, false
	}
	i, found := slices.BinarySearchFunc(p.entries, int32(u), func(e pickEntry, u int32) int { return int(e.user) - int(u) }) //nolint:gosec // fewer than 2^31 users
	if found {
		p.touch(int32(i)) //nolint:gosec // fewer than 2^31 entries
	}
	return int32(i), found //nolint:gosec // fewer than 2^31 entries
}

// touch notes that entry i may change: it may become available before
// noneBefore.
func (p *pickerState) touch(i int32) {
	if p.noneBefore != 0 {
		p.changed = append(p.changed, i)
	}
}

// emailOf is p.user(i).Email without making the whole user.
func (p *pickerState) emailOf(i int32) string {
	if u, ok := p.updated[i]; ok {
		return u.Email
	}
	return p.set.email(int(p.entries[i].user))
}

// user returns the user of entry i.
func (p *pickerState) user(i int32) User {
	if u, ok := p.updated[i]; ok {
		return u
	}
	return p.set.At(int(p.entries[i].user))
}

// twoFactorKinds are the values of pickerOptions.TwoFactor.
var twoFactorKinds = []string{"any", "none", "google", "sms", "both"}

// matchKind reports whether a user with Google (g) and SMS (s) 2FA is of
// kind.
func matchKind(g, s bool, kind string) bool {
	switch kind {
	case "none":
		return !g && !s
	case "google":
		return g
	case "sms":
		return s
	case "both":
		return g && s
	}
	return true
}

// totpUsers counts the users TOTP replay protection applies to.
func (p *pickerState) totpUsers() int {
	n := 0
	for i := range p.entries {
		if p.entries[i].totp {
			n++
		}
	}
	return n
}

// usersNeeded is the pool size that sustains rate TOTP sign-ins a second:
// each user signs in with TOTP at most once per 30-second step.
func usersNeeded(rate float64) int {
	return int(math.Ceil(rate * b2core.TOTPPeriod * totpMargin))
}

// warnOnce logs msg once per picker and key.
func (p *pickerState) warnOnce(logger logrus.FieldLogger, key, msg string) {
	p.warnOnceFn(logger, key, func() string { return msg })
}

// warnOnceFn logs msg() once per picker and key; msg is made only then.
func (p *pickerState) warnOnceFn(logger logrus.FieldLogger, key string, msg func() string) {
	if p.warned[key] || logger == nil {
		return
	}
	p.warned[key] = true
	logger.Warn(msg())
}

// checkSize warns when the declared rate needs more users than the pool has.
func (p *pickerState) checkSize(logger logrus.FieldLogger) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.totpUsers()
	if p.rate <= 0 || n == 0 {
		return
	}
	if need := usersNeeded(p.rate); n < need {
		p.warnOnce(logger, "size", fmt.Sprintf(
			"UserPicker %q: %d TOTP users cannot sustain %g sign-ins/s: a user can complete a TOTP sign-in "+
				"only once per 30-second step, so about %d users are needed (30 × %g/s + 20%% margin); "+
				"create more users (e.g. authflow serve --users %d --users-file F) or lower the rate",
			p.name, n, p.rate, need, p.rate, need))
	}
}

// availableAt returns when e can be handed out (Unix ns); a time not after
// now means now.
func (p *pickerState) availableAt(e *pickEntry) int64 {
	at := max(e.leasedUntil, e.blocked)
	if e.totp {
		last := e.lastStep
		if e.leasedUntil != 0 {
			last = max(last, b2core.TOTPStep(fromUnixNano(e.leasedUntil)))
		}
		if last >= 0 {
			at = max(at, (last+1)*b2core.TOTPPeriod*int64(time.Second))
		}
	}
	return at
}

// tryPick leases the next available user, or returns when the first one
// becomes available. The entries are taken round-robin from a cursor, so
// that a healthy pool finds one within a few steps whatever its size; an
// exhausted one is scanned once, then answered from noneBefore until that
// time passes or an entry changes.
func (p *pickerState) tryPick(now time.Time) (*pickLease, time.Time) {
	nowNs := now.UnixNano()
	if nowNs < p.noneBefore {
		soonest := p.noneBefore
		for _, i := range p.changed {
			if at := p.availableAt(&p.entries[i]); at <= nowNs {
				p.changed = p.changed[:0]
				p.noneBefore = 0
				return p.leaseEntry(int(i), now), now
			} else if at < soonest {
				soonest = at
			}
		}
		p.changed = p.changed[:0]
		p.noneBefore = soonest
		return nil, fromUnixNano(soonest)
	}
	p.noneBefore, p.changed = 0, p.changed[:0]
	var earliest int64
	for i := range p.entries {
		idx := (p.cursor + i) % len(p.entries)
		at := p.availableAt(&p.entries[idx])
		if at <= nowNs {
			p.cursor = (idx + 1) % len(p.entries)
			return p.leaseEntry(idx, now), now
		}
		if earliest == 0 || at < earliest {
			earliest = at
		}
	}
	p.noneBefore = earliest
	return nil, fromUnixNano(earliest)
}

// leaseEntry hands entry idx out.
func (p *pickerState) leaseEntry(idx int, now time.Time) *pickLease {
	e := &p.entries[idx]
	p.leaseID++
	e.leaseID = leaseIDOf(p.leaseID, idx)
	e.leasedUntil = now.Add(p.lease).UnixNano()
	if p.firstPick.IsZero() {
		p.firstPick = now
	}
	p.picks = append(p.picks, now)
	if len(p.picks)%1024 == 0 {
		p.measuredRate(now) // drops the picks older than 30 s
	}
	return &pickLease{user: p.user(int32(idx)), leaseID: e.leaseID} //nolint:gosec // fewer than 2^31 entries
}

// measuredRate is the picks per second over the last 30 s (or since the
// first pick, if that is sooner, but at least one second).
func (p *pickerState) measuredRate(now time.Time) float64 {
	cut := now.Add(-b2core.TOTPPeriod * time.Second)
	i := 0
	for i < len(p.picks) && p.picks[i].Before(cut) {
		i++
	}
	p.picks = p.picks[i:]
	span := b2core.TOTPPeriod * time.Second
	if p.firstPick.After(cut) {
		span = max(now.Sub(p.firstPick), time.Second)
	}
	return float64(len(p.picks)) / span.Seconds()
}

// exhaustedMessage explains why no user can be handed out now.
func (p *pickerState) exhaustedMessage(now time.Time) string {
	var leased, blocked, totpWait int
	nowNs := now.UnixNano()
	for i := range p.entries {
		switch e := &p.entries[i]; {
		case e.blocked > nowNs:
			blocked++
		case e.leasedUntil > nowNs:
			leased++
		default:
			totpWait++
		}
	}
	rate := p.measuredRate(now)
	msg := fmt.Sprintf("UserPicker %q: no user can sign in now (%d users: %d in use, %d locked out, %d already used "+
		"their TOTP code in this 30-second step); next() waits up to %s for one (returning null at once "+
		"when no user can be free by then, even if every lease ended)",
		p.name, len(p.entries), leased, blocked, totpWait, p.maxWait)
	if n := p.totpUsers(); n > 0 && rate > 0 {
		msg += fmt.Sprintf(". At the measured %.2f sign-ins/s a TOTP pool needs about %d users "+
			"(30 × rate + 20%% margin, plus the locked-out ones)", rate, usersNeeded(rate)+blocked)
	}
	return msg
}

// next leases a user that can sign in now, waiting up to maxWait for one
// (by the wall clock, to the millisecond: a user another VU releases is
// taken as soon as it is released). It returns nil when none becomes
// available in time, at once when none could be even if every lease ended
// now (mayFreeBy), or when ctx ends; and how long it slept.
func (p *pickerState) next(ctx context.Context, logger logrus.FieldLogger) (*pickLease, int64, time.Duration) {
	start := time.Now()
	deadline := start.Add(p.maxWait)
	for {
		now := p.now()
		p.mu.Lock()
		e, at := p.tryPick(now)
		var id int64
		var freed chan struct{}
		if e != nil {
			id = e.leaseID
		} else {
			p.warnOnceFn(logger, "exhausted", func() string { return p.exhaustedMessage(now) })
			if p.freed == nil {
				p.freed = make(chan struct{})
			}
			freed = p.freed
		}
		p.mu.Unlock()
		if e != nil {
			return e, id, time.Since(start)
		}
		left := time.Until(deadline)
		if left <= 0 || !p.mayFreeBy(now.Add(left)) {
			return nil, 0, time.Since(start)
		}
		d := left
		if !at.IsZero() {
			d = min(d, max(at.Sub(now), 0)+time.Millisecond)
		}
		if !waitFreed(ctx, freed, d) {
			return nil, 0, time.Since(start)
		}
	}
}

// waitFreed waits d, or until freed is closed (a user was released); it
// reports whether ctx is still live.
func waitFreed(ctx context.Context, freed <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-freed:
	case <-t.C:
	}
	return true
}

// mayFreeBy reports whether some user could be handed out by t, were
// every lease released now: if none could (all locked out or done with
// their TOTP step until later), waiting for the deadline is pointless. It
// costs O(1) amortized: the search starts at the last entry found, and a
// fruitless full search is remembered until its soonest time.
func (p *pickerState) mayFreeBy(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	tNs := t.UnixNano()
	if tNs < p.noneFreeBefore {
		return false
	}
	n := len(p.entries)
	soonest := int64(math.MaxInt64)
	for k := range n {
		i := (p.freeWitness + k) % n
		e := p.entries[i]
		e.leasedUntil = 0
		at := p.availableAt(&e)
		if at <= tNs {
			p.freeWitness = i
			return true
		}
		soonest = min(soonest, at)
	}
	p.noneFreeBefore = soonest
	return false
}

// lowerFreeBound forgets mayFreeBy's bound: an entry may now be free
// sooner than it was (a shorter block, a user that no longer uses TOTP).
func (p *pickerState) lowerFreeBound() { p.noneFreeBefore = 0 }

// release is releaseAfter for a flow of unknown steps: success,
// otp_rejected and failure may have sent a TOTP code.
func (p *pickerState) release(email string, leaseID int64, outcome b2core.Outcome, retryAfter time.Duration) bool {
	return p.releaseAfter(email, leaseID, outcome, retryAfter, totpSentBy(nil, outcome))
}

// releaseAfter ends the lease of email (if leaseID matches the current lease or
// is 0) and records how its flow ended: a lockout blocks the user for
// retryAfter (the policy's block when the server gave none); refused
// credentials or codes count toward the policy, and a user that reached
// its attempts is blocked as the server would block it. The TOTP step is
// spent only if totpSent (a TOTP code went to the server), or by
// totp_step_used (this client spent the current and the next step).
func (p *pickerState) releaseAfter(email string, leaseID int64, outcome b2core.Outcome, retryAfter time.Duration, totpSent bool) bool {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.entryOf(email, leaseID)
	if !ok {
		return false
	}
	e := &p.entries[i]
	if leaseID == 0 || leaseID == e.leaseID {
		e.leasedUntil = 0
	}
	if p.freed != nil { // wake the VUs waiting in next
		close(p.freed)
		p.freed = nil
	}
	if e.totp {
		switch {
		case outcome == b2core.OutcomeTOTPStepUsed:
			e.lastStep = max(e.lastStep, b2core.TOTPStep(now)+1)
		case totpSent:
			e.lastStep = max(e.lastStep, b2core.TOTPStep(now))
		}
	}
	switch outcome {
	case b2core.OutcomeLockout:
		if retryAfter <= 0 {
			retryAfter = p.policy.block()
		}
		if b := now.Add(retryAfter).UnixNano(); b < e.blocked {
			p.lowerFreeBound()
		}
		e.blocked = now.Add(retryAfter).UnixNano()
		delete(p.failures, i)
	case b2core.OutcomeRejected, b2core.OutcomeOTPRejected:
		p.countFailure(i, e, now)
	}
	return true
}

// countFailure counts a refused attempt of entry i toward the lockout
// policy, and blocks it when it reached the policy's attempts.
func (p *pickerState) countFailure(i int32, e *pickEntry, now time.Time) {
	cut := now.Add(-p.policy.window())
	failures := p.failures[i]
	kept := failures[:0]
	for _, t := range failures {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	p.failures[i] = kept
	if len(kept) >= p.policy.Attempts {
		if b := now.Add(p.policy.block()).UnixNano(); b < e.blocked {
			p.lowerFreeBound()
		}
		e.blocked = now.Add(p.policy.block()).UnixNano()
		delete(p.failures, i)
	}
}

// pickerStats is a snapshot for the script (picker.stats()).
type pickerStats struct {
	Size      int     `js:"size"`
	Available int     `js:"available"`
	Leased    int     `js:"leased"`
	Blocked   int     `js:"blocked"`
	TOTPWait  int     `js:"totpWait"`
	Rate      float64 `js:"rate"`
}

func (p *pickerState) stats() pickerStats {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	st := pickerStats{Size: len(p.entries), Rate: p.measuredRate(now)}
	nowNs := now.UnixNano()
	for i := range p.entries {
		switch e := &p.entries[i]; {
		case e.blocked > nowNs:
			st.Blocked++
		case e.leasedUntil > nowNs:
			st.Leased++
		case p.availableAt(e) > nowNs:
			st.TOTPWait++
		default:
			st.Available++
		}
	}
	return st
}

// pickers holds the shared picker states by name.
type pickers struct {
	mu     sync.Mutex
	states map[string]*pickerState
}

func (ps *pickers) get(name string, create func() *pickerState) *pickerState {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.states == nil {
		ps.states = map[string]*pickerState{}
	}
	if p, ok := ps.states[name]; ok {
		return p
	}
	p := create()
	ps.states[name] = p
	return p
}

// leaseKey is the hidden property of a user object handed out by next().
const leaseKey = "__authflowLease"

// UserPicker is the script's handle on a shared pickerState.
type UserPicker struct {
	mi    *ModuleInstance
	state *pickerState
	// Size is the number of distinct users.
	Size int `js:"size"`
	// Name is the shared state's name.
	Name string `js:"name"`
}

// newUserPicker implements new UserPicker(users, options).
func (mi *ModuleInstance) newUserPicker(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	var o pickerOptions
	if err := decodeOptions(rt, call.Argument(1), &o, "UserPicker options"); err != nil {
		common.Throw(rt, err)
	}
	set, err := usersArg(rt, call.Argument(0), "new UserPicker()")
	if err == nil {
		err = mi.checkSegment(set)
	}
	if err != nil {
		common.Throw(rt, err)
	}
	p, err := mi.picker(set, o)
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.ToValue(p).ToObject(rt)
}

func (mi *ModuleInstance) picker(set *userSet, o pickerOptions) (*UserPicker, error) {
	if o.Rate < 0 {
		return nil, errors.New("UserPicker options.rate cannot be negative")
	}
	if o.TwoFactor != "" {
		if err := oneOf("UserPicker options.twoFactor", o.TwoFactor, twoFactorKinds...); err != nil {
			return nil, err
		}
	}
	name := o.Name
	if name == "" {
		name = "default"
		if set.path != "" {
			name = set.path
		}
		if o.TwoFactor != "" && o.TwoFactor != "any" {
			name += "#" + o.TwoFactor
		}
	}
	st := mi.root.pickers.get(name, func() *pickerState { return newPickerState(name, set, o) })
	if len(st.entries) == 0 {
		return nil, fmt.Errorf("UserPicker %q: no user matches twoFactor %q", name, o.TwoFactor)
	}
	st.checkSize(mi.logger())
	return &UserPicker{mi: mi, state: st, Size: len(st.entries), Name: name}, nil
}

// Next returns a user who can sign in now (across all VUs), or null when
// none becomes available within maxWait. The user stays reserved until
// release(user, result) or the lease passes.
func (p *UserPicker) Next() sobek.Value {
	rt := p.mi.vu.Runtime()
	e, id, _ := p.state.next(p.mi.vu.Context(), p.mi.logger())
	if e == nil {
		return sobek.Null()
	}
	return newLeasedUserObject(rt, e.user, id)
}

// Release ends a user's reservation and records how its flow ended:
// release(user, result) with a flow result, or release(user, 'lockout', retryAfterSeconds).
func (p *UserPicker) Release(call sobek.FunctionCall) sobek.Value {
	rt := p.mi.vu.Runtime()
	obj, ok := call.Argument(0).(*sobek.Object)
	if !ok {
		common.Throw(rt, errors.New("release(user, result): user must be the object next() returned"))
	}
	email, _ := exportOf(obj.Get("email")).(string)
	var id int64
	if v := obj.Get(leaseKey); !common.IsNullish(v) {
		id = v.ToInteger()
	}
	outcome, retryAfter, err := outcomeArg(call.Argument(1), call.Argument(2))
	if err != nil {
		common.Throw(rt, fmt.Errorf("release(user, result): %w", err))
	}
	return rt.ToValue(p.state.releaseAfter(email, id, outcome, retryAfter, totpSentBy(call.Argument(1), outcome)))
}

// totpSentBy tells whether the flow a release reports sent a TOTP code: a
// result of this extension knows its steps; for an outcome string or a
// script's own object, success, otp_rejected and failure may have sent one.
func totpSentBy(v sobek.Value, outcome b2core.Outcome) bool {
	if r, ok := wrapped[*resultObj](v); ok {
		return totpSent(r.v.res.steps)
	}
	switch outcome {
	case b2core.OutcomeSuccess, b2core.OutcomeOTPRejected, b2core.OutcomeFailure:
		return true
	}
	return false
}

// totpSent tells whether a flow's requests include a TOTP code sent to
// the server (the step 2fa_google, answered or not).
func totpSent(steps []stepRecord) bool {
	for i := range steps {
		if steps[i].Step == "2fa_google" {
			return true
		}
	}
	return false
}

// Stats returns {size, available, leased, blocked, totpWait, rate}.
func (p *UserPicker) Stats() pickerStats { return p.state.stats() }

// outcomeArg reads a flow result object or an outcome string (with an
// optional Retry-After in seconds).
func outcomeArg(v, retry sobek.Value) (b2core.Outcome, time.Duration, error) {
	if common.IsNullish(v) {
		return b2core.OutcomeSuccess, 0, nil
	}
	var ra time.Duration
	secs := func(x sobek.Value) time.Duration {
		if f, ok := toFloat(x); ok && f > 0 {
			return time.Duration(f * float64(time.Second))
		}
		return 0
	}
	if s, ok := v.Export().(string); ok {
		if err := oneOf("outcome", s, allOutcomes...); err != nil {
			return "", 0, err
		}
		if !common.IsNullish(retry) {
			ra = secs(retry)
		}
		return b2core.Outcome(s), ra, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok {
		return "", 0, errors.New("the second argument must be a result object or an outcome string, not " + describe(v))
	}
	s, _ := exportOf(obj.Get("outcome")).(string)
	if err := oneOf("result.outcome", s, allOutcomes...); err != nil {
		return "", 0, err
	}
	return b2core.Outcome(s), secs(obj.Get("retryAfter")), nil
}

var allOutcomes = []string{
	string(b2core.OutcomeSuccess), string(b2core.OutcomeLockout), string(b2core.OutcomeRateLimited),
	string(b2core.OutcomeOTPRejected), string(b2core.OutcomeRejected), string(b2core.OutcomeFailure),
	string(b2core.OutcomeTOTPStepUsed),
}

// update changes the stored user of email (a password changed by a flow).
func (p *pickerState) update(email string, f func(*User)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.entryOf(email, 0)
	if ok {
		u := p.user(i)
		f(&u)
		p.updated[i] = u
		p.entries[i].totp = p.totp && u.TOTPSecret != ""
		p.lowerFreeBound()
	}
	return ok
}

// Update replaces the stored copy of a user (matched by email) after the
// script changed its password, TOTP secret or phone: update(user).
func (p *UserPicker) Update(user sobek.Value) sobek.Value {
	rt := p.mi.vu.Runtime()
	u, err := userArg(rt, user, "update(user)")
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.ToValue(p.state.update(u.Email, func(dst *User) {
		id := dst.ID
		*dst = u
		if dst.ID == 0 {
			dst.ID = id
		}
	}))
}
