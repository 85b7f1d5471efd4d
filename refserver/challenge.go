package refserver

import (
	"net/http"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// confirmation is a started 2FA challenge: a code went to the client's email
// and the confirmation token (held by the caller, stored here by digest)
// waits for it. acct is nil for an unauthorized challenge of an unknown
// email: it answers like any other and never succeeds.
type confirmation struct {
	acct    *account
	expires time.Time

	mu    sync.Mutex
	wrong int
	dead  bool
}

// successToken is the result of a completed challenge: single-use, short
// lived, bound to its client. Stored by digest.
type successToken struct {
	acct    *account
	expires time.Time
}

// challengeAnswer is the JSON of the three challenge calls. The defect
// wrong-field-type turns expiresAt into a number.
func (s *Server) challengeAnswer(token string, expires time.Time) any {
	if s.defects.wrongFieldType { // defect wrong-field-type
		return map[string]any{"token": token, "expiresAt": expires.Unix()}
	}
	return b2core.ChallengeResponse{Token: token, ExpiresAt: s.fmtTime(expires)}
}

// startChallenge stores a confirmation for acct (nil: unknown email) and
// sends the email code.
func (s *Server) startChallenge(w http.ResponseWriter, acct *account) {
	token := newToken()
	d := digest(token)
	c := &confirmation{acct: acct, expires: s.now().Add(s.cfg.CodeTTL)}
	s.confirmations.put(d, c)
	if acct != nil {
		s.sendCode(channelEmail, acct.email, purposeChallenge, string(d[:]))
	}
	writeJSON(w, http.StatusOK, s.challengeAnswer(token, c.expires))
}

// GET 2fa/challenge (Bearer).
func (s *Server) handleStartChallenge(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	s.startChallenge(w, sess.acct)
	return nil
}

// GET 2fa/unauthorized/challenge?email=: answers the same for an unknown
// email (no message is sent), so it reveals nothing.
func (s *Server) handleStartUnauthorizedChallenge(w http.ResponseWriter, r *http.Request) error {
	email := r.URL.Query().Get("email")
	if err := required("email", email); err != nil {
		return err
	}
	acct := s.accounts.byEmailAddr(email)
	if acct == nil && s.defects.enumeration { // defect enumeration
		return errUnknownClientEnu
	}
	s.startChallenge(w, acct)
	return nil
}

// POST 2fa/challenge {token, code} (Bearer optional) → a success token.
// After the sign-in policy's attempts wrong codes the confirmation dies.
func (s *Server) handleCompleteChallenge(w http.ResponseWriter, r *http.Request) error {
	var req b2core.ChallengeRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("token", req.Token, "code", req.Code); err != nil {
		return err
	}
	var caller *account
	if r.Header.Get("Authorization") != "" {
		sess, err := s.authenticate(r)
		if err != nil {
			return err
		}
		caller = sess.acct
	}
	unknown := fieldErr(http.StatusUnprocessableEntity, "token", "unknown, used or expired confirmation token")
	d := digest(req.Token)
	c, ok := s.confirmations.get(d)
	if !ok || !s.now().Before(c.expires) {
		return unknown
	}
	if caller != nil && c.acct != caller {
		return errf(http.StatusForbidden, "the confirmation token belongs to another client")
	}
	if s.defects.challengeCodeRace { // defect challenge-code-race: check the code, use it up later
		return s.completeChallengeRacy(w, c, d, req.Code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return unknown
	}
	if c.acct == nil || !s.checkCode(c.acct.email, purposeChallenge, string(d[:]), req.Code, false) {
		c.wrong++
		if c.wrong >= s.policy.Load().SignIn.Attempts {
			c.dead = true
			s.confirmations.delete(d)
		}
		return errInvalidCode
	}
	c.dead = true
	s.confirmations.delete(d)
	token := newToken()
	st := &successToken{acct: c.acct, expires: s.now().Add(s.cfg.SuccessTokenTTL)}
	s.successTokens.put(digest(token), st)
	writeJSON(w, http.StatusOK, s.successTokenAnswer(token, st.expires))
	return nil
}

// useSuccessToken consumes the request's successToken header. With owner
// set the token must belong to it; a token of another client is left alone.
func (s *Server) useSuccessToken(r *http.Request, owner *account) (*account, error) {
	t := r.Header.Get("successToken")
	if t == "" || len(t) > 512 {
		return nil, errBadSuccessToken
	}
	now := s.now()
	match := func(st *successToken) bool {
		return now.Before(st.expires) && (owner == nil || st.acct == owner)
	}
	var st *successToken
	var ok bool
	if s.defects.successTokenReusable { // defect success-token-reusable
		if st, ok = s.successTokens.get(digest(t)); ok && !match(st) {
			ok = false
		}
	} else if s.defects.successTokenRace { // defect success-token-race: check, then delete later
		st, ok = s.useSuccessTokenRacy(digest(t), match)
	} else {
		st, ok = s.successTokens.deleteIf(digest(t), match)
	}
	if !ok {
		return nil, errBadSuccessToken
	}
	return st.acct, nil
}
