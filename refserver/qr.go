package refserver

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// qrChannel is a QR sign-in channel: opened by the Sign In page (GET
// signin/qrcodes), authorized once by a signed-in mobile session (POST
// signin/tokens), used once to sign in (POST signin/qrcodes). The
// authorization token dies with the channel.
type qrChannel struct {
	id      string
	expires time.Time

	mu         sync.Mutex
	authorized bool
	acct       *account
}

// GET signin/qrcodes → {id, lifetimeMinutes, ip, location: null}.
func (s *Server) handleQRChannel(w http.ResponseWriter, r *http.Request) error {
	ch := &qrChannel{id: newUUID(), expires: s.now().Add(s.cfg.QRLifetime)}
	s.qrChannels.put(ch.id, ch)
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	writeJSON(w, http.StatusOK, b2core.QRChannel{
		ID:              ch.id,
		LifetimeMinutes: int(math.Ceil(s.cfg.QRLifetime.Minutes())),
		IP:              ip,
		Location:        s.qrLocation(),
	})
	return nil
}

// POST signin/tokens (Bearer) {channelId} → {authorizationToken}.
func (s *Server) handleQRAuthorize(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req b2core.QRTokenRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("channelId", req.ChannelID); err != nil {
		return err
	}
	ch, ok := s.qrChannels.get(req.ChannelID)
	if !ok || !s.now().Before(ch.expires) {
		return fieldErr(http.StatusUnprocessableEntity, "channelId", "unknown, used or expired channel")
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.authorized {
		return fieldErr(http.StatusConflict, "channelId", "the channel was already authorized")
	}
	ch.authorized, ch.acct = true, sess.acct
	token := newToken()
	s.qrTokens.put(digest(token), ch)
	writeJSON(w, http.StatusOK, b2core.QRTokenResponse{AuthorizationToken: token})
	return nil
}

// POST signin/qrcodes {deviceFingerprint, authorizationToken} → {clientId,
// tokens}; the token and its channel are used up.
func (s *Server) handleQRSignIn(w http.ResponseWriter, r *http.Request) error {
	var req b2core.QRSignInRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("deviceFingerprint", req.DeviceFingerprint, "authorizationToken", req.AuthorizationToken); err != nil {
		return err
	}
	if !validFingerprint(req.DeviceFingerprint) {
		return fieldErr(http.StatusUnprocessableEntity, "deviceFingerprint", "must be Base64 of a JSON object with a user_agent string")
	}
	ch, ok := s.qrTokens.loadAndDelete(digest(req.AuthorizationToken))
	if !ok || !s.now().Before(ch.expires) {
		return &apiError{status: http.StatusUnauthorized, message: "invalid, used or expired authorization token", fields: map[string]string{"authorizationToken": "invalid"}}
	}
	s.qrChannels.delete(ch.id)
	ch.mu.Lock()
	acct := ch.acct
	ch.mu.Unlock()
	tokens := s.newSession(acct)
	writeJSON(w, http.StatusOK, b2core.QRSignInResponse{ClientID: acct.id, Tokens: tokens})
	return nil
}
