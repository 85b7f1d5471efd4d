package refserver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// capToken is a Capillary MFA token from /mfa/password/validate: bound to
// the identifier, the device and the brand, single-use, short lived.
type capToken struct {
	acct     *account
	identKey string
	deviceID string
	brand    string
	expires  time.Time
}

// handleCapillary registers a Capillary endpoint: its errors are answered
// as {"status": {"success": false, "code": <status>, "message": "..."}}.
func (s *Server) handleCapillary(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var ae *apiError
		if !errors.As(err, &ae) {
			s.log.Error("internal error", "err", err)
			ae = &apiError{status: http.StatusInternalServerError, message: "internal server error"}
		}
		ae = s.variantError(ae)
		if ae.status == http.StatusUnprocessableEntity {
			ae = &apiError{status: http.StatusBadRequest, message: ae.message}
		}
		if ae.retryAfter > 0 && !s.defects.noRetryAfter { // defect no-retry-after
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(ae.retryAfter)))
		}
		writeJSON(w, ae.status, capillary.Response{Status: capillary.Status{Success: false, Code: ae.status, Message: ae.message}})
	})
}

// capIdentifier maps identifierType and identifierValue to the account and
// the normalized key the token is bound to; an unknown type is an error, an
// unknown value a nil account.
func (s *Server) capIdentifier(typ, value string) (*account, string, error) {
	var idx *shardMap[string, *account]
	var key string
	switch strings.ToUpper(typ) {
	case capillary.IdentifierMobile:
		idx, key = s.accounts.byPhone, phoneKey(value)
	case capillary.IdentifierEmail:
		idx, key = s.accounts.byEmail, normalizeEmail(value)
	case capillary.IdentifierUsername:
		idx, key = s.accounts.byUsername, strings.ToLower(strings.TrimSpace(value))
	case capillary.IdentifierExternalID:
		idx, key = s.accounts.byExternalID, strings.TrimSpace(value)
	default:
		return nil, "", errf(http.StatusBadRequest, "identifierType must be MOBILE, EMAIL, USERNAME or EXTERNALID")
	}
	if key == "" {
		return nil, "", errf(http.StatusBadRequest, "identifierValue is not a valid %s", strings.ToLower(typ))
	}
	a, _ := idx.get(key)
	return a, strings.ToUpper(typ) + ":" + key, nil
}

var errCapCredentials = &apiError{status: http.StatusUnauthorized, message: "invalid credentials", kind: kindCapCredentials}

// POST /auth/v1/mfa/password/validate → {status, token}. Wrong passwords
// count toward the sign-in lockout of the identifier.
func (s *Server) handleCapillaryValidate(w http.ResponseWriter, r *http.Request) error {
	var req capillary.ValidateRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("identifierType", req.IdentifierType, "identifierValue", req.IdentifierValue,
		"deviceId", req.DeviceID, "brand", req.Brand, "password", req.Password); err != nil {
		return err
	}
	acct, key, err := s.capIdentifier(req.IdentifierType, req.IdentifierValue)
	if err != nil {
		return err
	}
	att, wait, bypass := s.beginAttempt("capillary:" + key)
	if att == nil && !bypass {
		return s.tooMany("too many failed attempts; try again later", wait)
	}
	failed := true
	defer func() { att.finish(failed) }()
	if acct == nil {
		s.dummy.verify(req.Password)
		return errCapCredentials
	}
	if !acct.checkPassword(s.cfg.Hash, req.Password) {
		if bypass {
			return s.tooMany("too many failed attempts; try again later", wait)
		}
		return errCapCredentials
	}
	failed = false
	token := newToken()
	s.capTokens.put(digest(token), &capToken{
		acct:     acct,
		identKey: key,
		deviceID: req.DeviceID,
		brand:    req.Brand,
		expires:  s.now().Add(s.cfg.CapillaryTokenTTL),
	})
	writeJSON(w, http.StatusOK, capillary.Response{
		Status: capillary.Status{Success: true, Code: http.StatusOK, Message: "SUCCESS"},
		Token:  token,
	})
	return nil
}

// POST /auth/v1/mfa/password/change: the token of validate, bound to the
// same identifier, device and brand, with the current password.
func (s *Server) handleCapillaryChange(w http.ResponseWriter, r *http.Request) error {
	var req capillary.ChangeRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if err := required("identifierType", req.IdentifierType, "identifierValue", req.IdentifierValue,
		"deviceId", req.DeviceID, "brand", req.Brand, "token", req.Token, "password", req.Password,
		"newPassword", req.NewPassword, "confirmPassword", req.ConfirmPassword); err != nil {
		return err
	}
	if req.NewPassword != req.ConfirmPassword {
		return errf(http.StatusBadRequest, "newPassword and confirmPassword do not match")
	}
	if err := checkPasswordPolicy("newPassword", req.NewPassword); err != nil {
		return errf(http.StatusBadRequest, "newPassword must be 8 to 128 characters long")
	}
	reqAcct, key, err := s.capIdentifier(req.IdentifierType, req.IdentifierValue)
	if err != nil {
		return err
	}
	now := s.now()
	match := func(t *capToken) bool {
		return now.Before(t.expires) && t.identKey == key && t.deviceID == req.DeviceID && t.brand == req.Brand
	}
	if s.defects.capillaryTokenUnbound { // defect capillary-token-unbound: any live token, for the identifier of the request
		match = func(t *capToken) bool { return now.Before(t.expires) && t.brand == req.Brand }
	}
	var tok *capToken
	var ok bool
	d := digest(req.Token)
	if s.defects.capillaryTokenReusable { // defect capillary-token-reusable
		if tok, ok = s.capTokens.get(d); ok && !match(tok) {
			ok = false
		}
	} else {
		tok, ok = s.capTokens.deleteIf(d, match)
	}
	if !ok {
		return withKind(errf(http.StatusUnauthorized, "invalid, used or expired token, or it was issued for another identifier, device or brand"), kindCapCredentials)
	}
	if s.defects.capillaryTokenUnbound && reqAcct != nil { // defect capillary-token-unbound
		tok = &capToken{acct: reqAcct}
	}
	if !tok.acct.checkPassword(s.cfg.Hash, req.Password) {
		return errCapCredentials
	}
	s.changePassword(tok.acct, req.NewPassword, b2core.PasswordChanged)
	writeJSON(w, http.StatusOK, capillary.Response{Status: capillary.Status{Success: true, Code: http.StatusOK, Message: "SUCCESS"}})
	return nil
}
