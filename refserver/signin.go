package refserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// signinWizard is one Sign In Wizard session (CONTRACT.md "Sign-in and
// lockout"). Its state is the workflow the client must follow next:
//
//	login → 2fa → 2fa_google_auth | 2fa_sms_auth → (done)
//	login → reset_password_email → reset_password → (done)
//	login → (done)
//
// A finished wizard is removed: its uuid is dead. Everything but uuid and
// expires is guarded by mu; handlers hold mu for the whole step, so steps
// on one uuid run one at a time and a step at the wrong state changes
// nothing.
type signinWizard struct {
	uuid    string
	expires time.Time

	mu    sync.Mutex
	state string // a b2core.Workflow* value; "" once finished
	acct  *account
}

const stateDone = ""

// lockSignin returns the live wizard uuid, locked; the caller unlocks it.
func (s *Server) lockSignin(uuid string) (*signinWizard, error) {
	w, ok := s.signins.get(uuid)
	if !ok {
		return nil, errUnknownWizard
	}
	w.mu.Lock()
	if w.state == stateDone || !s.now().Before(w.expires) {
		w.mu.Unlock()
		return nil, errUnknownWizard
	}
	return w, nil
}

// finishLocked ends the wizard: its uuid is dead from now on.
func (s *Server) finishLocked(w *signinWizard) {
	if s.defects.wizardUUIDReplay { // defect wizard-uuid-replay: the uuid stays at its last step
		return
	}
	w.state = stateDone
	s.signins.delete(w.uuid)
}

// GET signin/wizard → a new wizard at workflow "login".
func (s *Server) handleSignInWizard(w http.ResponseWriter, r *http.Request) error {
	wz := &signinWizard{uuid: newUUID(), expires: s.now().Add(s.cfg.WizardTTL), state: b2core.WorkflowLogin}
	s.signins.put(wz.uuid, wz)
	writeJSON(w, http.StatusOK, b2core.Wizard[b2core.WizardInitData]{
		Code: http.StatusOK,
		Data: b2core.WizardInitData{
			Recaptcha:                   b2core.Recaptcha{Enabled: false},
			IsQRAvailable:               true,
			IsPasswordRecoveryAvailable: true,
		},
		UUID:     wz.uuid,
		Workflow: b2core.WorkflowLogin,
	})
	return nil
}

// validFingerprint reports whether fp is Base64 (standard or URL alphabet,
// padded or not) of a JSON object with a string user_agent.
func validFingerprint(fp string) bool {
	fp = strings.TrimSpace(fp)
	if fp == "" || len(fp) > 16<<10 {
		return false
	}
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(fp); err == nil {
			raw = b
			break
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var v struct {
		UserAgent *string `json:"user_agent"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return false
	}
	return v.UserAgent != nil
}

var errBadFingerprint = fieldErr(http.StatusUnprocessableEntity, "device_fingerprint", "must be Base64 of a JSON object with a user_agent string")

// POST signin {uuid, email, password, device_fingerprint}.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	var req b2core.SignInRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("uuid", req.UUID, "email", req.Email, "password", req.Password, "device_fingerprint", req.DeviceFingerprint); err != nil {
		return err
	}
	if !validFingerprint(req.DeviceFingerprint) {
		return errBadFingerprint
	}
	wz, err := s.lockSignin(req.UUID)
	if err != nil {
		return err
	}
	defer wz.mu.Unlock()
	if wz.state != b2core.WorkflowLogin {
		return errWrongStep(wz.state)
	}

	key := normalizeEmail(req.Email)
	acct := s.accounts.byEmailAddr(key)
	if acct == nil && s.defects.enumeration { // defect enumeration: unknown emails answer differently
		return errUnknownClientEnu
	}
	lockKey := key
	if s.defects.lockoutCaseSensitive { // defect lockout-case-sensitive: the lockout counts the email as typed
		lockKey = req.Email
	}
	att, wait, bypass := s.beginAttempt(lockKey)
	if att == nil && !bypass {
		return s.tooMany("too many failed sign-in attempts; this account is blocked for a while", wait)
	}
	failed := true
	defer func() { att.finish(failed) }()
	if acct == nil {
		if !s.defects.enumerationTiming { // defect enumeration-timing skips the hash for unknown emails
			s.dummy.verify(req.Password) // same cost as a real check: no timing oracle
		}
		return errBadCredentials
	}
	if s.defects.enumerationTiming { // defect enumeration-timing: a production-cost hash, for known emails only
		time.Sleep(timingGap)
	}
	if !acct.checkPassword(s.cfg.Hash, req.Password) {
		if bypass {
			return s.tooMany("too many failed sign-in attempts; this account is blocked for a while", wait)
		}
		return errBadCredentials
	}
	failed = false

	t := acct.tfa()
	wz.acct = acct
	switch {
	case t.resetRequired:
		wz.state = b2core.WorkflowResetPasswordEmail
		s.sendCode(channelEmail, acct.email, purposeSignInReset, wz.uuid)
		writeJSON(w, http.StatusOK, b2core.Wizard[any]{Code: http.StatusOK, UUID: wz.uuid, Workflow: wz.state})
	case t.google || t.sms:
		wz.state = b2core.Workflow2FA
		access, refresh := s.pendingTokens()
		writeJSON(w, http.StatusOK, b2core.Wizard[b2core.SignInData]{
			Code: http.StatusOK,
			Data: b2core.SignInData{
				AccessToken:  access,
				RefreshToken: refresh,
				TFAProviders: s.tfaProviders(t),
			},
			UUID:     wz.uuid,
			Workflow: b2core.Workflow2FA,
		})
	default:
		s.finishLocked(wz)
		tokens := s.newSession(acct)
		writeJSON(w, s.finalStatus(), b2core.Wizard[b2core.SignInData]{
			Code: http.StatusAccepted,
			Data: b2core.SignInData{
				AccessToken:  tokens.AccessToken,
				RefreshToken: tokens.RefreshToken,
				TFAProviders: s.tfaProviders(t),
			},
			Done:     true,
			UUID:     wz.uuid,
			Workflow: b2core.WorkflowLogin,
		})
	}
	return nil
}

// beginAttempt reserves a sign-in attempt for key. With the defect
// lockout-ignores-password a blocked key still gets a (no-op) attempt and
// bypass is true: the caller lets a correct secret through and answers 429
// to a wrong one.
func (s *Server) beginAttempt(key string) (att *attempt, wait time.Duration, bypass bool) {
	if s.defects.lockoutRace { // defect lockout-race: check the block, count the failure later
		att, wait = s.lockout.beginRacy(key)
	} else {
		att, wait = s.lockout.begin(key)
	}
	if att == nil && s.defects.lockoutIgnoresPassword { // defect lockout-ignores-password
		return &attempt{done: true}, wait, true
	}
	return att, wait, false
}

// POST signin/password/restore {uuid, action: "code", code}: the email code
// of a reset-required sign-in → workflow reset_password.
func (s *Server) handleSignInRestore(w http.ResponseWriter, r *http.Request) error {
	var req b2core.SignInRestoreRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("uuid", req.UUID, "action", req.Action, "code", req.Code); err != nil {
		return err
	}
	if req.Action != "code" {
		return fieldErr(http.StatusUnprocessableEntity, "action", `must be "code"`)
	}
	wz, err := s.lockSignin(req.UUID)
	if err != nil {
		return err
	}
	defer wz.mu.Unlock()
	if wz.state != b2core.WorkflowResetPasswordEmail {
		return errWrongStep(wz.state)
	}
	if !s.checkCode(wz.acct.email, purposeSignInReset, wz.uuid, req.Code, true) {
		return errInvalidCode
	}
	wz.state = b2core.WorkflowResetPassword
	writeJSON(w, http.StatusOK, b2core.Wizard[any]{Code: http.StatusOK, UUID: wz.uuid, Workflow: wz.state})
	return nil
}

// POST signin/password/reset {password, passwordConfirmation, uuid}: sets
// the new password, records a `restored` history entry and ends the wizard
// (the client signs in again with the new password).
func (s *Server) handleSignInReset(w http.ResponseWriter, r *http.Request) error {
	var req b2core.SignInResetRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("uuid", req.UUID, "password", req.Password, "passwordConfirmation", req.PasswordConfirmation); err != nil {
		return err
	}
	if err := checkPasswordPolicy("password", req.Password); err != nil {
		return err
	}
	if req.Password != req.PasswordConfirmation {
		return fieldErr(http.StatusUnprocessableEntity, "passwordConfirmation", "does not match password")
	}
	wz, err := s.lockSignin(req.UUID)
	if err != nil {
		return err
	}
	defer wz.mu.Unlock()
	skipped := s.defects.resetBeforeCode && wz.state == b2core.WorkflowResetPasswordEmail // defect reset-before-code
	if wz.state != b2core.WorkflowResetPassword && !skipped {
		return errWrongStep(wz.state)
	}
	acct := wz.acct
	s.changePassword(acct, req.Password, b2core.PasswordRestored)
	s.finishLocked(wz)
	writeJSON(w, s.finalStatus(), b2core.Wizard[b2core.ResetData]{
		Code:     http.StatusAccepted,
		Data:     b2core.ResetData{Client: b2core.ResetClient{ID: acct.id, Email: acct.email, Settings: map[string]any{}}},
		Done:     true,
		UUID:     wz.uuid,
		Workflow: b2core.WorkflowLogin,
	})
	return nil
}
