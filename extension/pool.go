package extension

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"

	"github.com/authflow/authflow/b2core"
)

// poolOptions are the options of new SessionPool(client, users, options).
type poolOptions struct {
	// Name shares one pool between every VU that names it (default "default").
	Name string `js:"name"`
	// Size is the number of signed-in sessions the pool keeps (default 10,
	// at most the number of users).
	Size int `js:"size"`
	// RefreshBefore refreshes a session this long before its access token
	// expires (default 60s).
	RefreshBefore time.Duration `js:"refreshBefore"`
	// RefreshPolicy is the server's refresh rate limit per client
	// (attempts within windowSeconds; default 5 a minute): the pool never
	// refreshes one session more often.
	RefreshPolicy *Limit `js:"refreshPolicy"`
	// Method is the 2FA method of the pool's sign-ins (google or sms).
	Method string `js:"method"`
	// Picker options, when the users are an array rather than a UserPicker.
	Policy *Limit `js:"policy"`
}

// pooledSession is one session of a pool.
type pooledSession struct {
	ref        *sessionRef
	users      int // VUs using it now
	refreshing bool
	refreshes  []time.Time
}

// poolState is shared by every VU using the same pool name.
type poolState struct {
	name          string
	size          int
	refreshBefore time.Duration
	refreshLimit  Limit
	method        string
	picker        *pickerState
	now           func() time.Time

	mu       sync.Mutex
	sessions []*pooledSession
	pending  int
	cursor   int
}

// refreshAllowed reports whether s may be refreshed now without passing
// the per-client refresh limit, and records the refresh if so.
func (p *poolState) refreshAllowed(s *pooledSession, now time.Time) bool {
	cut := now.Add(-p.refreshLimit.window())
	kept := s.refreshes[:0]
	for _, t := range s.refreshes {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	s.refreshes = kept
	if len(s.refreshes) >= p.refreshLimit.Attempts {
		return false
	}
	s.refreshes = append(s.refreshes, now)
	return true
}

func (p *poolState) remove(s *pooledSession) {
	for i, x := range p.sessions {
		if x == s {
			p.sessions = append(p.sessions[:i], p.sessions[i+1:]...)
			return
		}
	}
}

// pools holds the shared pool states by name.
type pools struct {
	mu     sync.Mutex
	states map[string]*poolState
}

func (ps *pools) get(name string, create func() (*poolState, error)) (*poolState, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.states == nil {
		ps.states = map[string]*poolState{}
	}
	if p, ok := ps.states[name]; ok {
		return p, nil
	}
	p, err := create()
	if err != nil {
		return nil, err
	}
	ps.states[name] = p
	return p, nil
}

// SessionPool is the script's handle on a shared pool of signed-in
// sessions, for scenarios that exercise authenticated calls without
// signing in every iteration. Sign-ins and refreshes are made by the VU
// that needs them, with its own client, and measured like any flow.
type SessionPool struct {
	client *Client
	state  *poolState
	held   *pooledSession // the session this VU uses now
	// Size is the number of sessions the pool keeps.
	Size int `js:"size"`
	// Name is the shared pool's name.
	Name string `js:"name"`
}

// newSessionPool implements new SessionPool(client, users, options); users
// is a UserPicker or an array of users (then a picker named "pool:<name>"
// is made for them).
func (mi *ModuleInstance) newSessionPool(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	c, ok := wrapped[*Client](call.Argument(0))
	if !ok {
		common.Throw(rt, errors.New("new SessionPool(client, users, options): client must be a Client"))
	}
	if c.opts.Profile != profileB2Core {
		common.Throw(rt, errors.New("new SessionPool(): the client must have profile 'b2core'"))
	}
	o := poolOptions{Size: 10, RefreshBefore: time.Minute}
	if err := decodeOptions(rt, call.Argument(2), &o, "SessionPool options"); err != nil {
		common.Throw(rt, err)
	}
	if o.Method != "" {
		if err := oneOf("SessionPool options.method", o.Method, b2core.ProviderGoogle, b2core.ProviderSMS); err != nil {
			common.Throw(rt, err)
		}
	}
	if o.Size < 1 {
		common.Throw(rt, errors.New("SessionPool options.size must be at least 1"))
	}
	name := o.Name
	if name == "" {
		name = "default"
	}
	var picker *pickerState
	if up, ok := wrapped[*UserPicker](call.Argument(1)); ok {
		picker = up.state
	} else {
		set, err := usersArg(rt, call.Argument(1), "new SessionPool()")
		if err != nil {
			common.Throw(rt, err)
		}
		up, err := mi.picker(set, pickerOptions{Name: "pool:" + name, Policy: o.Policy})
		if err != nil {
			common.Throw(rt, err)
		}
		picker = up.state
	}
	st, err := mi.root.pools.get(name, func() (*poolState, error) {
		rl := defaultLimit()
		if o.RefreshPolicy != nil {
			rl = *o.RefreshPolicy
			rl.fill()
		}
		return &poolState{name: name, size: min(o.Size, len(picker.entries)), refreshBefore: o.RefreshBefore,
			refreshLimit: rl, method: o.Method, picker: picker, now: time.Now}, nil
	})
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.ToValue(&SessionPool{client: c, state: st, Size: st.size, Name: name}).ToObject(rt)
}

// Get returns a signed-in session, signing one in while the pool is not
// full and refreshing one that is about to expire (within the refresh
// rate limit). The session counts as in use by this VU until its next
// get() or release(): the server kills the old access token at a refresh,
// so a session is refreshed only once no VU is using it (new users wait
// or take another session meanwhile). It returns null if no session can be
// had (the failing sign-in is logged once; with the client's throw: true,
// it throws).
func (sp *SessionPool) Get() sobek.Value {
	c := sp.client
	c.requireVU()
	rt := c.mi.vu.Runtime()
	sp.Release()
	s := sp.acquire()
	if s == nil {
		if c.opts.Throw {
			common.Throw(rt, fmt.Errorf("SessionPool %q: no session available", sp.state.name))
		}
		return sobek.Null()
	}
	sp.held = s
	return newJSSession(rt, s.ref)
}

// Release ends this VU's use of the session get() gave it.
func (sp *SessionPool) Release() {
	if sp.held == nil {
		return
	}
	p := sp.state
	p.mu.Lock()
	sp.held.users--
	p.mu.Unlock()
	sp.held = nil
}

// acquire returns a session marked in use by the caller, or nil.
func (sp *SessionPool) acquire() *pooledSession {
	c := sp.client
	p := sp.state
	ctx := c.mi.vu.Context()
	// Waiting for other VUs (their sign-ins, a refresh) is bounded by what
	// a sign-in may take.
	deadline := time.Now().Add(3*c.opts.Timeout + p.picker.maxWait)
	wait := func() bool { return time.Now().Before(deadline) && b2core.Sleep(ctx, 10*time.Millisecond) }
	for failures := 0; failures < 3; {
		now := p.now()
		p.mu.Lock()
		if len(p.sessions)+p.pending < p.size {
			p.pending++
			p.mu.Unlock()
			s, res := sp.signInOne()
			p.mu.Lock()
			p.pending--
			if s != nil {
				s.users = 1
				p.sessions = append(p.sessions, s)
			}
			p.mu.Unlock()
			if s != nil {
				return s
			}
			sp.failed(res)
			failures++
			continue
		}
		s := p.pick()
		if s == nil {
			p.mu.Unlock()
			if !wait() { // every slot is being signed in or refreshed by other VUs
				return nil
			}
			continue
		}
		exp := s.ref.get().AccessExpiresAt
		needs := !exp.IsZero() && !now.Add(p.refreshBefore).Before(exp)
		if needs && p.refreshAllowed(s, now) {
			s.refreshing = true // no new users; wait for the current ones
			p.mu.Unlock()
			for {
				p.mu.Lock()
				idle := s.users == 0
				p.mu.Unlock()
				if idle || !wait() {
					break
				}
			}
			res := c.refreshSession(s.ref)
			p.mu.Lock()
			s.refreshing = false
			if !res.ok() && res.outcome != b2core.OutcomeRateLimited {
				p.remove(s) // the refresh token is dead: sign in anew
				p.mu.Unlock()
				failures++
				continue
			}
			s.users++
			p.mu.Unlock()
			return s
		}
		if exp.IsZero() || now.Before(exp) {
			s.users++
			p.mu.Unlock()
			return s
		}
		// Expired and not refreshable now: drop it for a fresh sign-in.
		p.remove(s)
		p.mu.Unlock()
	}
	return nil
}

// pick returns the next session not being refreshed, round robin, or nil.
// The caller holds p.mu.
func (p *poolState) pick() *pooledSession {
	for range len(p.sessions) {
		s := p.sessions[p.cursor%len(p.sessions)]
		p.cursor++
		if !s.refreshing {
			return s
		}
	}
	return nil
}

// signInOne signs a user from the picker in with the calling VU's client.
func (sp *SessionPool) signInOne() (*pooledSession, *callResult) {
	c := sp.client
	p := sp.state
	e, id, _ := p.picker.next(c.mi.vu.Context(), c.mi.logger())
	if e == nil {
		return nil, &callResult{flow: b2core.FlowSignIn, outcome: b2core.OutcomeFailure, step: "pick_user",
			reason: fmt.Sprintf("UserPicker %q has no user who can sign in now", p.picker.name)}
	}
	res, ref := c.signInUser(e.user, signInOptions{Method: p.method})
	p.picker.releaseAfter(e.user.Email, id, res.outcome, res.retryAfter, totpSent(res.steps))
	if ref == nil {
		return nil, res
	}
	return &pooledSession{ref: ref}, res
}

// failed logs a failed pool sign-in once per pool.
func (sp *SessionPool) failed(res *callResult) {
	p := sp.state.picker
	p.mu.Lock()
	defer p.mu.Unlock()
	p.warnOnce(sp.client.mi.logger(), "pool:"+sp.state.name,
		fmt.Sprintf("SessionPool %q: a sign-in failed: %s", sp.state.name, describeResult(res)))
}

// Discard removes a session from the pool (after signing it out, say); the
// pool signs another one in when needed: discard(session).
func (sp *SessionPool) Discard(session sobek.Value) bool {
	js, ok := exportOf(session).(*jsSession)
	if !ok {
		return false
	}
	p := sp.state
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sessions {
		if s.ref == js.v {
			p.remove(s)
			if sp.held == s {
				sp.held = nil
			}
			return true
		}
	}
	return false
}

// poolStats is pool.stats(): a struct, so that its keys keep this order.
type poolStats struct {
	Size     int `js:"size"`
	Sessions int `js:"sessions"`
	Pending  int `js:"pending"`
}

// Stats returns {size, sessions, pending}.
func (sp *SessionPool) Stats() poolStats {
	p := sp.state
	p.mu.Lock()
	defer p.mu.Unlock()
	return poolStats{Size: p.size, Sessions: len(p.sessions), Pending: p.pending}
}
