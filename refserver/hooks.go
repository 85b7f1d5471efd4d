package refserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

// The test hooks (CONTRACT.md "Test hooks", contract v1) live under
// /__hooks, on by default; Config.DisableHooks turns them off (404). They
// hand secrets to the caller: they belong on test deployments only.

// createClient makes a fresh account with the given 2FA methods. Its
// identifiers are unique: the id is part of each.
func (s *Server) createClient(twoFactor []string, resetRequired bool) (*account, testhooks.Client, error) {
	id := s.accounts.nextID()
	var rnd [4]byte
	rand.Read(rnd[:])
	tag := fmt.Sprintf("u%d-%s", id, hex.EncodeToString(rnd[:]))
	pw := newPassword()
	a := &account{
		id:            id,
		email:         tag + "@authflow.test",
		username:      tag,
		externalID:    "ext-" + tag,
		pw:            hashPassword(s.cfg.Hash, pw),
		resetRequired: resetRequired,
	}
	a.hashOnce.Do(func() {})
	c := testhooks.Client{ID: id, Email: a.email, Password: pw, Username: a.username, ExternalID: a.externalID}
	if slices.Contains(twoFactor, b2core.ProviderGoogle) {
		a.totpSecret, a.googleOn = newTOTPSecret(), true
		secret := a.totpSecret
		c.TOTPSecret = &secret
	}
	if slices.Contains(twoFactor, b2core.ProviderSMS) || s.alt { // alt: a phone on every client
		a.phone, a.smsOn = everyPhone("+4470", id), slices.Contains(twoFactor, b2core.ProviderSMS)
		phone := a.phone
		c.Phone = &phone
	}
	if err := s.accounts.add(a); err != nil {
		return nil, c, err
	}
	return a, c, nil
}

// POST /__hooks/clients {twoFactor, resetRequired} → 201 the client with its
// secrets. An empty body means no 2FA.
func (s *Server) handleHookCreateClient(w http.ResponseWriter, r *http.Request) error {
	var req testhooks.CreateClientRequest
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := s.decodeBody(body, &req); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, p := range req.TwoFactor {
		if p != b2core.ProviderGoogle && p != b2core.ProviderSMS {
			return fieldErr(http.StatusBadRequest, "twoFactor", `items must be "google" or "sms"`)
		}
		if seen[p] {
			return fieldErr(http.StatusBadRequest, "twoFactor", "items must not repeat")
		}
		seen[p] = true
	}
	_, c, err := s.createClient(req.TwoFactor, req.ResetRequired)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// GET /__hooks/messages/latest?to= → the last code sent to an email or phone.
func (s *Server) handleHookLatestMessage(w http.ResponseWriter, r *http.Request) error {
	to := r.URL.Query().Get("to")
	if err := required("to", to); err != nil {
		return fieldErr(http.StatusBadRequest, "to", "required: an email address or a phone number")
	}
	m, ok := s.latestMessage(to)
	if !ok {
		return errf(http.StatusNotFound, "no message was sent to this recipient")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// POST /__hooks/clients/{id}/reset-required → 204: the next sign-in answers
// reset_password_email.
func (s *Server) handleHookResetRequired(w http.ResponseWriter, r *http.Request) error {
	id, ok := pathID(r)
	if !ok {
		return errf(http.StatusNotFound, "no such client")
	}
	a, ok := s.accounts.byID.get(id)
	if !ok {
		return errf(http.StatusNotFound, "no such client")
	}
	a.mu.Lock()
	a.resetRequired = true
	a.mu.Unlock()
	writeNoContent(w)
	return nil
}

// GET /__hooks/policy.
func (s *Server) handleHookGetPolicy(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.Policy())
	return nil
}

// PUT /__hooks/policy: every limit must be a positive integer.
func (s *Server) handleHookPutPolicy(w http.ResponseWriter, r *http.Request) error {
	var p testhooks.Policy
	if err := s.decode(r, &p); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
			ae = &apiError{status: http.StatusBadRequest, message: ae.message + " (every limit must be a positive integer)", fields: ae.fields}
			return ae
		}
		return err
	}
	if err := s.SetPolicy(p); err != nil {
		return errf(http.StatusBadRequest, "%s", err.Error())
	}
	writeJSON(w, http.StatusOK, s.Policy())
	return nil
}
