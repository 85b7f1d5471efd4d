package refserver

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// tfaWizard is an open 2FA enable or disable wizard, bound to the client
// that opened it. Its state is the workflow of its next step:
//
//	enable google:  2fa_google            {uuid, action, code, key} → done
//	enable sms:     2fa_sms_phone_create  {uuid, phone} → phone {uuid, action, code} → done
//	disable:        2fa_google | 2fa_sms  {uuid, action, code} → done
type tfaWizard struct {
	uuid     string
	acct     *account
	provider string
	enable   bool
	expires  time.Time

	mu    sync.Mutex
	state string // "" once finished
	key   string // the new TOTP secret (enable google)
	phone string // the phone being confirmed (enable sms)
	wrong int
}

var tfaCaptions = map[string]string{
	b2core.ProviderSMS:    "SMS Confirmation",
	b2core.ProviderGoogle: "Google Authenticator",
}

func tfaStatus(provider string, t tfaState) b2core.TFAStatus {
	on := t.google
	if provider == b2core.ProviderSMS {
		on = t.sms
	}
	return b2core.TFAStatus{Caption: tfaCaptions[provider], IsEnabled: on, Name: provider}
}

func providerParam(r *http.Request) (string, error) {
	p := r.PathValue("type")
	if p != b2core.ProviderGoogle && p != b2core.ProviderSMS {
		return "", withKind(errf(http.StatusNotFound, "unknown 2FA method (google or sms)"), kindUnknownMethod)
	}
	return p, nil
}

// GET 2fa (Bearer) → {total: 2, data: [sms, google]}.
func (s *Server) handleTFAList(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	t := sess.acct.tfa()
	data := s.tfaList(t)
	writeJSON(w, http.StatusOK, s.listAnswer(len(data), data))
	return nil
}

// GET 2fa/{type} (Bearer).
func (s *Server) handleTFAMethod(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	p, err := providerParam(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tfaStatus(p, sess.acct.tfa()))
	return nil
}

// GET 2fa/{type}/enable/wizard (Bearer).
func (s *Server) handleTFAEnableWizard(w http.ResponseWriter, r *http.Request) error {
	return s.openTFAWizard(w, r, true)
}

// GET 2fa/{type}/disable/wizard (Bearer); for sms an SMS code is sent.
func (s *Server) handleTFADisableWizard(w http.ResponseWriter, r *http.Request) error {
	return s.openTFAWizard(w, r, false)
}

func (s *Server) openTFAWizard(w http.ResponseWriter, r *http.Request, enable bool) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	p, err := providerParam(r)
	if err != nil {
		return err
	}
	acct := sess.acct
	t := acct.tfa()
	on := tfaStatus(p, t).IsEnabled
	if enable && on {
		return withKind(errf(http.StatusConflict, "this 2FA method is already enabled"), kindConflict)
	}
	if !enable && !on {
		return withKind(errf(http.StatusConflict, "this 2FA method is not enabled"), kindConflict)
	}
	wz := &tfaWizard{uuid: newUUID(), acct: acct, provider: p, enable: enable, expires: s.now().Add(s.cfg.WizardTTL)}
	var data any
	switch {
	case enable && p == b2core.ProviderGoogle:
		wz.state = b2core.Workflow2FAGoogle
		wz.key = newTOTPSecret()
		data = b2core.EnableWizardData{Key: wz.key}
	case enable:
		wz.state = b2core.Workflow2FASMSPhoneCreate
	case p == b2core.ProviderGoogle:
		wz.state = b2core.Workflow2FAGoogle
	default:
		wz.state = b2core.Workflow2FASMS
		s.sendCode(channelSMS, t.phone, purposeSMSDisable, wz.uuid)
	}
	s.tfaWizards.put(wz.uuid, wz)
	writeJSON(w, http.StatusOK, b2core.Wizard[any]{Code: http.StatusOK, Data: data, Done: s.disableWizardDone(enable), UUID: wz.uuid, Workflow: wz.state})
	return nil
}

// POST 2fa/wizard (Bearer): the steps of the enable and disable wizards.
func (s *Server) handleTFAWizard(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req b2core.TFAWizardRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("uuid", req.UUID); err != nil {
		return err
	}
	wz, ok := s.tfaWizards.get(req.UUID)
	if !ok || wz.acct != sess.acct || !s.now().Before(wz.expires) {
		return errUnknownWizard
	}
	wz.mu.Lock()
	defer wz.mu.Unlock()
	if wz.state == stateDone {
		return errUnknownWizard
	}
	if wz.state == b2core.Workflow2FASMSPhoneCreate || (wz.state == b2core.WorkflowPhone && req.Phone != "") {
		return s.tfaPhoneStep(w, wz, req)
	}
	if err := required("action", req.Action, "code", req.Code); err != nil {
		return err
	}
	if req.Action != "code" {
		return fieldErr(http.StatusUnprocessableEntity, "action", `must be "code"`)
	}
	acct := wz.acct
	var verified bool
	switch {
	case wz.enable && wz.provider == b2core.ProviderGoogle:
		if err := required("key", req.Key); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(req.Key), []byte(wz.key)) != 1 {
			return fieldErr(http.StatusUnprocessableEntity, "key", "is not the key of this wizard")
		}
		// Replay protection belongs to a secret: no code of the new one was
		// ever accepted, so its check starts afresh (else re-enrolling within
		// one 30-second step would be refused as a replay). The old secret
		// is disabled, so its codes work nowhere; while Google is still on
		// (the enable fails below) its replay state is kept.
		acct.mu.Lock()
		last := acct.lastTOTPStep
		acct.lastTOTPStep = -1
		verified = s.checkTOTPLocked(acct, wz.key, req.Code)
		if !verified || acct.googleOn {
			acct.lastTOTPStep = last
		}
		acct.mu.Unlock()
	case wz.enable: // sms, state phone
		verified = s.checkCode(wz.phone, purposeSMSEnable, wz.uuid, req.Code, false)
	case wz.provider == b2core.ProviderGoogle:
		acct.mu.Lock()
		verified = acct.googleOn && s.checkTOTPLocked(acct, acct.totpSecret, req.Code)
		acct.mu.Unlock()
	default:
		verified = s.checkCode(acct.tfa().phone, purposeSMSDisable, wz.uuid, req.Code, false)
	}
	if !verified {
		wz.wrong++
		if wz.wrong >= s.policy.Load().SignIn.Attempts {
			s.endTFAWizardLocked(wz)
		}
		return errInvalidCode
	}
	if err := s.applyTFAChange(wz); err != nil {
		return err
	}
	s.endTFAWizardLocked(wz)
	writeJSON(w, s.finalStatus(), b2core.Wizard[any]{
		Code:     http.StatusAccepted,
		Data:     s.finalWizardData(),
		Done:     true,
		UUID:     wz.uuid,
		Workflow: b2core.WorkflowTerminate,
	})
	return nil
}

func (s *Server) endTFAWizardLocked(wz *tfaWizard) {
	wz.state = stateDone
	s.tfaWizards.delete(wz.uuid)
}

// tfaPhoneStep is step 1 of the SMS enable wizard: {uuid, phone} sends a
// code to phone (again, with a new phone or the same one).
func (s *Server) tfaPhoneStep(w http.ResponseWriter, wz *tfaWizard, req b2core.TFAWizardRequest) error {
	if err := required("phone", req.Phone); err != nil {
		return err
	}
	if !validE164(req.Phone) {
		return fieldErr(http.StatusUnprocessableEntity, "phone", "must be an E.164 number such as +15550100000")
	}
	sentAt, expires := s.sendCode(channelSMS, req.Phone, purposeSMSEnable, wz.uuid)
	wz.phone = req.Phone
	wz.state = b2core.WorkflowPhone
	const layout = "2006-01-02T15:04:05.000000Z07:00"
	writeJSON(w, http.StatusOK, b2core.Wizard[b2core.PhoneStepData]{
		Code: http.StatusOK,
		Data: b2core.PhoneStepData{
			Status:    0,
			Sent:      1,
			ExpiredAt: expires.UTC().Format(layout),
			SentAt:    sentAt.UTC().Format(layout),
			Recipient: b2core.PhoneRecipient{
				Class:    `B2B\TCA\Confirmations\Recipients\PhoneRecipient`,
				Phone:    req.Phone,
				Template: "default",
				Type:     2,
				Method:   "phone",
			},
		},
		UUID:     wz.uuid,
		Workflow: b2core.WorkflowPhone,
	})
	return nil
}

// applyTFAChange enables or disables the wizard's method and records it.
func (s *Server) applyTFAChange(wz *tfaWizard) error {
	acct := wz.acct
	acct.mu.Lock()
	defer acct.mu.Unlock()
	on := acct.googleOn
	if wz.provider == b2core.ProviderSMS {
		on = acct.smsOn
	}
	if on == wz.enable {
		return withKind(errf(http.StatusConflict, "this 2FA method is already %s", map[bool]string{true: "enabled", false: "disabled"}[on]), kindConflict)
	}
	switch {
	case wz.provider == b2core.ProviderGoogle && wz.enable:
		acct.totpSecret, acct.googleOn = wz.key, true
	case wz.provider == b2core.ProviderGoogle:
		acct.totpSecret, acct.googleOn = "", false
	case wz.enable:
		if err := s.accounts.setPhoneLocked(acct, wz.phone); err != nil {
			if errors.Is(err, errTaken) {
				return fieldErr(http.StatusUnprocessableEntity, "phone", "is used by another client")
			}
			return err
		}
		acct.smsOn = true
	default:
		acct.smsOn = false
	}
	s.history.addTFALocked(acct, wz.provider, wz.enable, s.now())
	return nil
}
