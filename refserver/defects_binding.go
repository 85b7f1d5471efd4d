package refserver

import (
	"crypto/subtle"
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
