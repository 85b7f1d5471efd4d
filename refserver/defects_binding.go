package refserver

import (
	"crypto/subtle"
	"fmt"
	"strings"
)

// anyLiveCode is the code-unbound defect: it reports whether code is the
// live code of any recipient and wizard for purpose (and leaves it alone),
// as a server that looks codes up by value would.
func (s *Server) anyLiveCode(purpose, code string) bool {
	now := s.now()
	found := false
	s.codes.sweep(func(k string, c *sentCode) bool {
		if strings.HasSuffix(k, "\x00"+purpose) && now.Before(c.expires) &&
			subtle.ConstantTimeCompare([]byte(c.code), []byte(code)) == 1 {
			found = true
		}
		return false
	})
	return found
}

// refreshLimitKey is what the refresh limit counts: the client, or with
// the refresh-limit-per-session defect the session (a hash of its address,
// stable for its lifetime).
func (s *Server) refreshLimitKey(sess *session) int64 {
	if s.defects.refreshLimitPerSession { // defect refresh-limit-per-session
		return -int64(hashString(fmt.Sprintf("%p", sess)) >> 1)
	}
	return sess.acct.id
}
