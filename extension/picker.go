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

// pickEntry is one user's state in a picker.
type pickEntry struct {
	user        User
	totp        bool      // TOTP replay protection applies
	leaseID     int64     // incremented at each pick
	leasedUntil time.Time // reserved until
	lastStep    int64     // the last TOTP step it may have used (-1: none)
	blocked     time.Time // locked out until
	failures    []time.Time
}

// pickerState is shared by every VU using the same picker name.
type pickerState struct {
	name string
	now  func() time.Time

	mu        sync.Mutex
	entries   []*pickEntry
	byEmail   map[string]*pickEntry
	cursor    int
	leaseID   int64
	picks     []time.Time // picks of the last 30 s, for the measured rate
	firstPick time.Time
	warned    map[string]bool

	policy  Limit
	rate    float64
	totp    bool
	lease   time.Duration
	maxWait time.Duration
}

func newPickerState(name string, set *userSet, o pickerOptions) *pickerState {
	p := &pickerState{
		name:    name,
		now:     time.Now,
		byEmail: map[string]*pickEntry{},
		warned:  map[string]bool{},
		rate:    o.Rate,
		totp:    o.TOTP == nil || *o.TOTP,
		lease:   o.Lease,
		maxWait: o.MaxWait,
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
	for i := range set.Len() {
		u := set.At(i)
		if !matchTwoFactor(u, o.TwoFactor) {
			continue
		}
		if _, dup := p.byEmail[u.Email]; dup {
			continue // one account, one lockout counter
		}
		e := &pickEntry{user: u, lastStep: -1, totp: p.totp && u.TOTPSecret != ""}
		p.entries = append(p.entries, e)
		p.byEmail[u.Email] = e
	}
	if len(p.entries) > 0 {
		// A random start: back-to-back runs over the same user file (within
		// one 30-second step) do not begin with the users the last run just
		// used, whose TOTP codes the server would refuse as replays.
		p.cursor = rand.IntN(len(p.entries)) //nolint:gosec // not a secret
	}
	return p
}

// twoFactorKinds are the values of pickerOptions.TwoFactor.
var twoFactorKinds = []string{"any", "none", "google", "sms", "both"}

// hasMethod reports whether u has 2FA method m (from twoFactor, or from its
// secret or phone when the list is absent).
func hasMethod(u User, m string) bool {
	if u.TwoFactor != nil {
		return slices.Contains(u.TwoFactor, m)
	}
	if m == b2core.ProviderGoogle {
		return u.TOTPSecret != ""
	}
	return u.Phone != ""
}

func matchTwoFactor(u User, kind string) bool {
	g, s := hasMethod(u, b2core.ProviderGoogle), hasMethod(u, b2core.ProviderSMS)
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
	for _, e := range p.entries {
		if e.totp {
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
	if p.warned[key] || logger == nil {
		return
	}
	p.warned[key] = true
	logger.Warn(msg)
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

// availableAt returns when e can be handed out; a time not after now means now.
func (p *pickerState) availableAt(e *pickEntry) time.Time {
	at := e.leasedUntil
	if e.blocked.After(at) {
		at = e.blocked
	}
	if e.totp {
		last := e.lastStep
		if !e.leasedUntil.IsZero() {
			last = max(last, b2core.TOTPStep(e.leasedUntil))
		}
		if last >= 0 {
			if next := time.Unix((last+1)*b2core.TOTPPeriod, 0); next.After(at) {
				at = next
			}
		}
	}
	return at
}

// tryPick leases the next available user, or returns when the first one
// becomes available.
func (p *pickerState) tryPick(now time.Time) (*pickEntry, time.Time) {
	var earliest time.Time
	for i := range p.entries {
		e := p.entries[(p.cursor+i)%len(p.entries)]
		at := p.availableAt(e)
		if !at.After(now) {
			p.cursor = (p.cursor + i + 1) % len(p.entries)
			p.leaseID++
			e.leaseID = p.leaseID
			e.leasedUntil = now.Add(p.lease)
			if e.totp {
				e.lastStep = max(e.lastStep, b2core.TOTPStep(now))
			}
			if p.firstPick.IsZero() {
				p.firstPick = now
			}
			p.picks = append(p.picks, now)
			return e, now
		}
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
	}
	return nil, earliest
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
	for _, e := range p.entries {
		switch {
		case e.blocked.After(now):
			blocked++
		case e.leasedUntil.After(now):
			leased++
		default:
			totpWait++
		}
	}
	rate := p.measuredRate(now)
	msg := fmt.Sprintf("UserPicker %q: no user can sign in now (%d users: %d in use, %d locked out, %d already used "+
		"their TOTP code in this 30-second step); next() waits up to %s for one",
		p.name, len(p.entries), leased, blocked, totpWait, p.maxWait)
	if n := p.totpUsers(); n > 0 && rate > 0 {
		msg += fmt.Sprintf(". At the measured %.2f sign-ins/s a TOTP pool needs about %d users "+
			"(30 × rate + 20%% margin, plus the locked-out ones)", rate, usersNeeded(rate)+blocked)
	}
	return msg
}

// next leases a user that can sign in now, waiting up to maxWait for one.
// It returns nil when none becomes available in time or ctx ends.
func (p *pickerState) next(ctx context.Context, logger logrus.FieldLogger) (*pickEntry, int64) {
	deadline := p.now().Add(p.maxWait)
	for {
		now := p.now()
		p.mu.Lock()
		e, at := p.tryPick(now)
		var id int64
		if e != nil {
			id = e.leaseID
		} else {
			p.warnOnce(logger, "exhausted", p.exhaustedMessage(now))
		}
		p.mu.Unlock()
		if e != nil {
			return e, id
		}
		if at.IsZero() || at.After(deadline) {
			return nil, 0
		}
		wait := at.Sub(now) + 5*time.Millisecond
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, 0
		case <-t.C:
		}
	}
}

// release ends the lease of email (if leaseID matches the current lease or
// is 0) and records how its flow ended: a lockout blocks the user for
// retryAfter (the policy's block when the server gave none); refused
// credentials or codes count toward the policy, and a user that reached
// its attempts is blocked as the server would block it.
func (p *pickerState) release(email string, leaseID int64, outcome b2core.Outcome, retryAfter time.Duration) bool {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byEmail[email]
	if !ok {
		return false
	}
	if leaseID == 0 || leaseID == e.leaseID {
		if e.leasedUntil.After(now) {
			e.leasedUntil = now
		}
	}
	switch outcome {
	case b2core.OutcomeLockout:
		if retryAfter <= 0 {
			retryAfter = p.policy.block()
		}
		e.blocked = now.Add(retryAfter)
		e.failures = nil
	case b2core.OutcomeRejected, b2core.OutcomeOTPRejected:
		cut := now.Add(-p.policy.window())
		kept := e.failures[:0]
		for _, t := range e.failures {
			if t.After(cut) {
				kept = append(kept, t)
			}
		}
		e.failures = append(kept, now)
		if len(e.failures) >= p.policy.Attempts {
			e.blocked = now.Add(p.policy.block())
			e.failures = nil
		}
	}
	return true
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
	for _, e := range p.entries {
		switch {
		case e.blocked.After(now):
			st.Blocked++
		case e.leasedUntil.After(now):
			st.Leased++
		case p.availableAt(e).After(now):
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
	e, id := p.state.next(p.mi.vu.Context(), p.mi.logger())
	if e == nil {
		return sobek.Null()
	}
	o := userToJS(rt, e.user)
	_ = o.DefineDataProperty(leaseKey, rt.ToValue(id), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	return o
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
	return rt.ToValue(p.state.release(email, id, outcome, retryAfter))
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
}

// update changes the stored user of email (a password changed by a flow).
func (p *pickerState) update(email string, f func(*User)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byEmail[email]
	if ok {
		f(&e.user)
		e.totp = p.totp && e.user.TOTPSecret != ""
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
