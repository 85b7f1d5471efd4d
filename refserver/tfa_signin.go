package refserver

import (
	"crypto/subtle"
	"net/http"

	"github.com/authflow/authflow/b2core"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP parameters (RFC 6238, CONTRACT.md): SHA-1, 6 digits, 30-second step,
// the previous and the next step accepted.
const (
	totpPeriod = 30
	totpSkew   = 1
	wideSkew   = 3 // defect totp-wide-window
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// checkTOTPLocked verifies code against secret at the server's clock and, if
// it matches a step later than the last one accepted for acct, accepts it:
// a TOTP code is good once (no replay). The caller holds acct.mu.
func (s *Server) checkTOTPLocked(acct *account, secret, code string) bool {
	if len(code) != 6 || secret == "" {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	skew := int64(totpSkew)
	if s.defects.totpWideWindow { // defect totp-wide-window
		skew = wideSkew
	}
	now := s.now().Unix() / totpPeriod
	matched := int64(-1)
	for step := now - skew; step <= now+skew; step++ {
		if step < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), totpOpts)
		if err != nil {
			return false // a secret that is not base32
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && matched < 0 {
			if step > acct.lastTOTPStep || s.defects.totpReplay { // defect totp-replay
				matched = step
			}
		}
	}
	if matched < 0 {
		return false
	}
	if matched > acct.lastTOTPStep {
		acct.lastTOTPStep = matched
	}
	return true
}

// POST signin/2fa {uuid, type}: choose the 2FA method (CONTRACT.md: the
// client calls it from workflow 2fa, also when one method is enabled).
func (s *Server) handleChoose2FA(w http.ResponseWriter, r *http.Request) error {
	var req b2core.SignIn2FARequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("uuid", req.UUID, "type", req.Type); err != nil {
		return err
	}
	if req.Type != b2core.ProviderGoogle && req.Type != b2core.ProviderSMS {
		return fieldErr(http.StatusUnprocessableEntity, "type", `must be "google" or "sms"`)
	}
	wz, err := s.lockSignin(req.UUID)
	if err != nil {
		return err
	}
	defer wz.mu.Unlock()
	if wz.state != b2core.Workflow2FA {
		return errWrongStep(wz.state)
	}
	t := wz.acct.tfa()
	switch {
	case req.Type == b2core.ProviderGoogle && t.google:
		wz.state = b2core.Workflow2FAGoogleAuth
	case req.Type == b2core.ProviderSMS && t.sms && t.phone != "":
		s.sendCode(channelSMS, t.phone, purposeSignIn2FA, wz.uuid)
		wz.state = b2core.Workflow2FASMSAuth
	default:
		return fieldErr(http.StatusUnprocessableEntity, "type", "this 2FA method is not enabled for the client")
	}
	writeJSON(w, http.StatusOK, b2core.Wizard[any]{Code: http.StatusOK, UUID: wz.uuid, Workflow: wz.state})
	return nil
}

// POST 2fa/google and 2fa/sms {uuid, code}: the last sign-in step. A wrong
// code counts toward the lockout like a wrong password.
func (s *Server) handle2FACode(provider string) handlerFunc {
	wantState := b2core.Workflow2FAGoogleAuth
	if provider == b2core.ProviderSMS {
		wantState = b2core.Workflow2FASMSAuth
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		var req b2core.CodeRequest
		if err := s.decode(r, &req); err != nil {
			return err
		}
		if err := required("uuid", req.UUID, "code", req.Code); err != nil {
			return err
		}
		wz, err := s.lockSignin(req.UUID)
		if err != nil {
			return err
		}
		defer wz.mu.Unlock()
		if wz.state != wantState {
			return errWrongStep(wz.state)
		}
		acct := wz.acct
		att, wait, bypass := s.beginAttempt(acct.email)
		if att == nil && !bypass {
			return s.tooMany("too many failed sign-in attempts; this account is blocked for a while", wait)
		}
		failed := true
		defer func() { att.finish(failed) }()
		var ok bool
		if provider == b2core.ProviderGoogle && s.defects.totpRace { // defect totp-race: check the step, record it later
			ok = s.checkTOTPRacy(acct, req.Code)
		} else if provider == b2core.ProviderGoogle {
			acct.mu.Lock()
			ok = acct.googleOn && s.checkTOTPLocked(acct, acct.totpSecret, req.Code)
			acct.mu.Unlock()
		} else {
			ok = s.checkCode(acct.tfa().phone, purposeSignIn2FA, wz.uuid, req.Code, false)
		}
		if !ok {
			if bypass {
				return s.tooMany("too many failed sign-in attempts; this account is blocked for a while", wait)
			}
			return errInvalidCode
		}
		failed = false
		s.finishLocked(wz)
		tokens := s.newSession(acct)
		writeJSON(w, s.finalStatus(), b2core.Wizard[b2core.Tokens]{
			Code:     http.StatusAccepted,
			Data:     tokens,
			Done:     true,
			UUID:     wz.uuid,
			Workflow: b2core.WorkflowLogin,
		})
		return nil
	}
}
