package refserver

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// The race defects: each one checks, then acts, without holding a lock
// across the two, as servers that pass every sequential test often do.
// Every step holds the lock it needs (no Go data race), but a concurrent
// request can pass the check before the first one acts. raceWindow, a
// pause between check and act, stands for the work a real server does
// there (a database round trip), so that a synchronized burst of requests
// reliably meets the race.
const raceWindow = 40 * time.Millisecond

// beginRacy is the lockout-race defect's attempt: it checks that key is
// not blocked, then lets the attempt run without reserving a slot; the
// failure is counted only when the attempt finishes.
func (l *lockout) beginRacy(key string) (*attempt, time.Duration) {
	if wait := l.blockedFor(key); wait > 0 {
		return nil, wait
	}
	time.Sleep(raceWindow)
	return &attempt{l: l, key: key, racy: true}, 0
}

// recordFailure counts a failed attempt of the lockout-race defect.
func (l *lockout) recordFailure(key string) {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		e = &lockEntry{}
		sh.m[key] = e
	}
	now := l.now()
	lim := l.limit()
	l.quirks.prune(e, now, lim)
	e.fails = append(e.fails, now)
	if len(e.fails) >= lim.Attempts {
		e.blockedUntil = now.Add(l.quirks.block(lim))
		e.fails = e.fails[:0]
	}
}

// checkTOTPRacy is the totp-race defect: it checks the code against the
// last accepted step, then, after the window, records the step.
func (s *Server) checkTOTPRacy(acct *account, code string) bool {
	acct.mu.Lock()
	on, secret := acct.googleOn, acct.totpSecret
	probe := &account{lastTOTPStep: acct.lastTOTPStep}
	acct.mu.Unlock()
	if !on || !s.checkTOTPLocked(probe, secret, code) {
		return false
	}
	time.Sleep(raceWindow)
	acct.mu.Lock()
	acct.lastTOTPStep = max(acct.lastTOTPStep, probe.lastTOTPStep)
	acct.mu.Unlock()
	return true
}

// completeChallengeRacy is the challenge-code-race defect: it checks the
// emailed code without using it up, then, after the window, uses it up and
// answers a success token.
func (s *Server) completeChallengeRacy(w http.ResponseWriter, c *confirmation, d [32]byte, code string) error {
	c.mu.Lock()
	dead := c.dead
	c.mu.Unlock()
	if dead || c.acct == nil || !s.peekCode(c.acct.email, purposeChallenge, string(d[:]), code) {
		return errInvalidCode
	}
	time.Sleep(raceWindow)
	s.checkCode(c.acct.email, purposeChallenge, string(d[:]), code, false)
	c.mu.Lock()
	c.dead = true
	c.mu.Unlock()
	s.confirmations.delete(d)
	token := newToken()
	st := &successToken{acct: c.acct, expires: s.now().Add(s.cfg.SuccessTokenTTL)}
	s.successTokens.put(digest(token), st)
	writeJSON(w, http.StatusOK, s.challengeAnswer(token, st.expires))
	return nil
}

// peekCode reports whether code is the live code of recipient, purpose and
// owner, without using it up (the check half of challenge-code-race).
func (s *Server) peekCode(recipient, purpose, owner, code string) bool {
	ok := false
	now := s.now()
	s.codes.compute(codeKey(recipient, purpose), func(c *sentCode, present bool) (*sentCode, mapOp) {
		ok = present && now.Before(c.expires) && c.owner == owner &&
			subtle.ConstantTimeCompare([]byte(c.code), []byte(code)) == 1
		return nil, opKeep
	})
	return ok
}

// useSuccessTokenRacy is the success-token-race defect: it checks the
// token, then, after the window, deletes it.
func (s *Server) useSuccessTokenRacy(d [32]byte, match func(*successToken) bool) (*successToken, bool) {
	st, ok := s.successTokens.get(d)
	if !ok || !match(st) {
		return nil, false
	}
	time.Sleep(raceWindow)
	s.successTokens.delete(d)
	return st, true
}
