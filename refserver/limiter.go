package refserver

import (
	"sync"
	"time"

	"github.com/authflow/authflow/testhooks"
)

// lockout is the sign-in lockout: per identifier (the lower-cased email),
// `attempts` failed attempts within a sliding `window` block the identifier
// for `block`.
//
// The count is exact under concurrency. An attempt first reserves a slot
// (begin) under the identifier's shard lock: it is refused at once when the
// identifier is blocked, and it waits when every remaining slot of the
// window is held by attempts still in flight, because their outcome decides
// whether this one may run. The expensive work (argon2, TOTP) runs outside
// the lock, and finish records the outcome. So of 100 concurrent wrong
// passwords exactly `attempts` are checked (and answered 401) and the rest
// are answered 429.
type lockout struct {
	limit    func() testhooks.Limit
	now      func() time.Time
	disabled bool         // defect no-lockout
	quirks   windowQuirks // defects window-sticky, block-short, retry-after-full-block
	shards   [shardCount]lockShard
}

type lockShard struct {
	mu sync.Mutex
	m  map[string]*lockEntry
	_  [40]byte
}

type lockEntry struct {
	fails        []time.Time // failures within the window, oldest first
	blockedUntil time.Time
	pending      int // attempts in flight
	waiters      int
	cond         *sync.Cond
}

func newLockout(limit func() testhooks.Limit, now func() time.Time, disabled bool) *lockout {
	l := &lockout{limit: limit, now: now, disabled: disabled}
	for i := range l.shards {
		l.shards[i].m = make(map[string]*lockEntry)
	}
	return l
}

func (l *lockout) shard(key string) *lockShard { return &l.shards[hashString(key)%shardCount] }

// attempt is a reserved sign-in attempt; finish it exactly once.
type attempt struct {
	l    *lockout
	key  string
	done bool
	racy bool // defect lockout-race: no slot reserved
}

// begin reserves an attempt for key. When key is blocked it returns nil and
// the time left.
func (l *lockout) begin(key string) (*attempt, time.Duration) {
	if l.disabled {
		return &attempt{done: true}, 0
	}
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		e = &lockEntry{}
		e.cond = sync.NewCond(&sh.mu)
		sh.m[key] = e
	}
	for {
		now := l.now()
		lim := l.limit()
		if now.Before(e.blockedUntil) {
			return nil, l.quirks.retryAfter(e.blockedUntil.Sub(now), lim)
		}
		l.quirks.prune(e, now, lim)
		if len(e.fails)+e.pending < lim.Attempts {
			e.pending++
			return &attempt{l: l, key: key}, 0
		}
		e.waiters++
		e.cond.Wait()
		e.waiters--
	}
}

// finish records the outcome of the attempt; failed counts it.
func (a *attempt) finish(failed bool) {
	if a == nil || a.done {
		return
	}
	a.done = true
	if a.racy { // defect lockout-race: the failure is counted only now
		if failed {
			a.l.recordFailure(a.key)
		}
		return
	}
	l := a.l
	sh := l.shard(a.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[a.key]
	e.pending--
	now := l.now()
	lim := l.limit()
	l.quirks.prune(e, now, lim)
	if failed {
		e.fails = append(e.fails, now)
		if len(e.fails) >= lim.Attempts {
			e.blockedUntil = now.Add(l.quirks.block(lim))
			e.fails = e.fails[:0]
		}
	}
	if e.waiters > 0 {
		e.cond.Broadcast()
	}
	if e.idle(now) {
		delete(sh.m, a.key)
	}
}

// prune drops failures older than the window.
func (e *lockEntry) prune(now time.Time, lim testhooks.Limit) {
	cut := now.Add(-time.Duration(lim.WindowSeconds) * time.Second)
	i := 0
	for i < len(e.fails) && !e.fails[i].After(cut) {
		i++
	}
	if i > 0 {
		e.fails = append(e.fails[:0], e.fails[i:]...)
	}
}

func (e *lockEntry) idle(now time.Time) bool {
	return e.pending == 0 && e.waiters == 0 && len(e.fails) == 0 && !now.Before(e.blockedUntil)
}

// blockedFor reports the time left of key's block, 0 when not blocked.
func (l *lockout) blockedFor(key string) time.Duration {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[key]; e != nil {
		if now := l.now(); now.Before(e.blockedUntil) {
			return l.quirks.retryAfter(e.blockedUntil.Sub(now), l.limit())
		}
	}
	return 0
}

// sweep forgets identifiers with nothing left to remember.
func (l *lockout) sweep() {
	now := l.now()
	lim := l.limit()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			l.quirks.prune(e, now, lim)
			if e.idle(now) {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

// rateLimit allows `attempts` events per key within a sliding `window`; the
// next one starts a block of `block`. Token refresh uses it per client.
type rateLimit struct {
	limit  func() testhooks.Limit
	now    func() time.Time
	quirks windowQuirks // defects window-sticky, block-short, retry-after-full-block
	shards [shardCount]rateShard
}

type rateShard struct {
	mu sync.Mutex
	m  map[int64]*rateEntry
	_  [40]byte
}

type rateEntry struct {
	hits         []time.Time
	blockedUntil time.Time
}

func newRateLimit(limit func() testhooks.Limit, now func() time.Time) *rateLimit {
	rl := &rateLimit{limit: limit, now: now}
	for i := range rl.shards {
		rl.shards[i].m = make(map[int64]*rateEntry)
	}
	return rl
}

// allow counts one event for key, or refuses it with the time left.
func (rl *rateLimit) allow(key int64) (bool, time.Duration) {
	sh := &rl.shards[hashInt(key)%shardCount]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := rl.now()
	lim := rl.limit()
	e := sh.m[key]
	if e == nil {
		e = &rateEntry{}
		sh.m[key] = e
	}
	if now.Before(e.blockedUntil) {
		return false, rl.quirks.retryAfter(e.blockedUntil.Sub(now), lim)
	}
	cut := now.Add(-time.Duration(lim.WindowSeconds) * time.Second)
	i := 0
	for i < len(e.hits) && !e.hits[i].After(cut) && !rl.quirks.sticky { // defect window-sticky
		i++
	}
	e.hits = append(e.hits[:0], e.hits[i:]...)
	if len(e.hits) >= lim.Attempts {
		block := rl.quirks.block(lim)
		e.blockedUntil = now.Add(block)
		e.hits = e.hits[:0]
		return false, rl.quirks.retryAfter(block, lim)
	}
	e.hits = append(e.hits, now)
	return true, 0
}

func (rl *rateLimit) sweep() {
	now := rl.now()
	window := time.Duration(rl.limit().WindowSeconds) * time.Second
	for i := range rl.shards {
		sh := &rl.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			last := len(e.hits) == 0 || !e.hits[len(e.hits)-1].After(now.Add(-window))
			if last && !now.Before(e.blockedUntil) && !rl.quirks.sticky { // defect window-sticky keeps them
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
