package refserver

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// session is one signed-in session: an access token and a refresh token
// that rotate together. Tokens are opaque random strings; the server keeps
// only their SHA-256 digests.
type session struct {
	acct *account

	mu      sync.Mutex
	access  [32]byte
	refresh [32]byte
	revoked bool
}

// tokenRef is a map entry of a token digest: the session and the token's
// expiry, kept outside the session so the janitor sweeps without locking it.
type tokenRef struct {
	sess    *session
	expires time.Time
}

type sessionStore struct {
	access  *shardMap[[32]byte, tokenRef]
	refresh *shardMap[[32]byte, tokenRef]
}

func newSessionStore() *sessionStore {
	return &sessionStore{
		access:  newShardMap[[32]byte, tokenRef](hashDigest),
		refresh: newShardMap[[32]byte, tokenRef](hashDigest),
	}
}

func (st *sessionStore) sweep(now time.Time) {
	st.access.sweep(func(_ [32]byte, t tokenRef) bool { return !now.Before(t.expires) })
	st.refresh.sweep(func(_ [32]byte, t tokenRef) bool { return !now.Before(t.expires) })
}

// newSession signs acct in: a fresh session and its token pair.
func (s *Server) newSession(acct *account) b2core.Tokens {
	sess := &session{acct: acct}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return s.issueLocked(sess)
}

// issueLocked gives sess a new token pair; the caller holds sess.mu.
func (s *Server) issueLocked(sess *session) b2core.Tokens {
	now := s.now()
	at, rt := newToken(), newToken()
	aexp, rexp := now.Add(s.cfg.AccessTTL), now.Add(s.cfg.RefreshTTL)
	sess.access, sess.refresh = digest(at), digest(rt)
	s.sessions.access.put(sess.access, tokenRef{sess: sess, expires: aexp})
	s.sessions.refresh.put(sess.refresh, tokenRef{sess: sess, expires: rexp})
	created := s.fmtTime(now)
	return b2core.Tokens{
		AccessToken:  &b2core.Token{Token: at, CreatedAt: created, ExpiresAt: s.fmtTime(aexp)},
		RefreshToken: &b2core.Token{Token: rt, CreatedAt: created, ExpiresAt: s.fmtTime(rexp)},
	}
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	if t == "" || len(t) > 512 {
		return "", false
	}
	return t, true
}

// authenticate returns the session of the request's Bearer access token,
// or errUnauthorized when it is missing, malformed, expired or revoked.
func (s *Server) authenticate(r *http.Request) (*session, error) {
	t, ok := bearer(r)
	if !ok {
		return nil, errUnauthorized
	}
	ref, ok := s.sessions.access.get(digest(t))
	if !ok {
		return nil, errUnauthorized
	}
	if !s.now().Before(ref.expires) && !s.defects.accessTokenNoExpiry { // defect access-token-no-expiry
		return nil, errUnauthorized
	}
	ref.sess.mu.Lock()
	revoked := ref.sess.revoked
	ref.sess.mu.Unlock()
	if revoked {
		return nil, errUnauthorized
	}
	return ref.sess, nil
}

// POST refresh {refreshToken} → a new token pair; the used refresh token
// is dead afterwards. Rate limited per client.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	var req b2core.RefreshRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("refreshToken", req.RefreshToken); err != nil {
		return err
	}
	invalid := &apiError{status: http.StatusUnauthorized, message: "invalid, expired, used or revoked refresh token", fields: map[string]string{"refreshToken": "invalid"}, kind: kindRefresh}
	d := digest(req.RefreshToken)
	ref, ok := s.sessions.refresh.get(d)
	if !ok || !s.now().Before(ref.expires) {
		return invalid
	}
	sess := ref.sess
	if ok, wait := s.refreshLimit.allow(s.refreshLimitKey(sess)); !ok {
		return s.tooMany("too many token refreshes; try again later", wait)
	}
	if s.defects.refreshRace { // defect refresh-race: the token was checked above; it is retired later, unchecked
		time.Sleep(raceWindow)
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.revoked {
		return invalid
	}
	if !s.defects.refreshNoRotate { // defect refresh-no-rotate keeps the old refresh token
		if _, ok := s.sessions.refresh.loadAndDelete(d); !ok && !s.defects.refreshRace { // defect refresh-race
			return invalid // a concurrent refresh used it first
		}
		s.sessions.refresh.delete(sess.refresh)
	}
	s.sessions.access.delete(sess.access)
	tokens := s.issueLocked(sess)
	writeJSON(w, http.StatusOK, tokens)
	return nil
}

// POST signout (Bearer): revokes the session's access and refresh token.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if !s.defects.signOutNoRevoke { // defect signout-no-revoke
		sess.mu.Lock()
		sess.revoked = true
		s.sessions.access.delete(sess.access)
		s.sessions.refresh.delete(sess.refresh)
		sess.mu.Unlock()
	}
	s.writeSignedOut(w)
	return nil
}
