package refserver

import (
	"net/http"
	"unicode/utf8"

	"github.com/authflow/authflow/b2core"
)

// Password policy: deliberately minimal (the documents state none), so that
// any reasonable generated password passes and a test can still see a 422.
const (
	minPasswordLen = 8
	maxPasswordLen = 128
)

// checkPasswordPolicy validates a new password given in field.
func checkPasswordPolicy(field, pw string) error {
	if !utf8.ValidString(pw) {
		return fieldErr(http.StatusUnprocessableEntity, field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(pw); n < minPasswordLen || n > maxPasswordLen {
		return fieldErr(http.StatusUnprocessableEntity, field, "must be 8 to 128 characters long")
	}
	return nil
}

// changePassword hashes and stores pw for acct, clears reset-required and
// records the change in the password history.
func (s *Server) changePassword(acct *account, pw, kind string) {
	h := hashPassword(s.cfg.Hash, pw)
	acct.setPassword(h)
	s.history.addPassword(acct, kind, s.now())
}

// decodeNewPassword reads the {password} body of a change or a restore and
// checks it against the policy.
func (s *Server) decodeNewPassword(r *http.Request) (string, error) {
	var req b2core.PasswordRequest
	if err := s.decode(r, &req); err != nil {
		return "", err
	}
	if err := required("password", req.Password); err != nil {
		return "", err
	}
	if err := checkPasswordPolicy("password", req.Password); err != nil {
		return "", err
	}
	return req.Password, nil
}

// POST password/change (Bearer + successToken header) {password} → 204 (alt: 200).
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	pw, err := s.decodeNewPassword(r)
	if err != nil {
		return err
	}
	if _, err := s.useSuccessToken(r, sess.acct); err != nil {
		return err
	}
	s.changePassword(sess.acct, pw, b2core.PasswordChanged)
	s.writeNoBody(w)
	return nil
}

// POST password/restore (successToken header) {password} → 204 (alt: 200): the client
// is the success token's.
func (s *Server) handlePasswordRestore(w http.ResponseWriter, r *http.Request) error {
	pw, err := s.decodeNewPassword(r)
	if err != nil {
		return err
	}
	acct, err := s.useSuccessToken(r, nil)
	if err != nil {
		return err
	}
	s.changePassword(acct, pw, b2core.PasswordRestored)
	s.writeNoBody(w)
	return nil
}
