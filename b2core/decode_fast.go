package b2core

import "encoding/json"

// Hand-written decoders for the answers of the sign-in flow, which a load
// generator decodes on every step: GET signin/wizard (WizardInitData),
// POST signin (SignInData), POST signin/2fa (raw data) and POST 2fa/google
// or 2fa/sms and POST refresh (Tokens). Reflective decoding of these small
// answers cost the extension about a tenth of its own CPU per flow
// (BenchmarkDecodeWizard, BenchmarkSignInTOTP in package extension); these
// decoders read them in one pass over the bytes with a few allocations.
//
// They take only what they read exactly as encoding/json does (see
// scanner): a null where a value is wanted, a duplicate key, a key that
// matches a field only case-insensitively, an escape in a string value, and
// any syntax error make them report false, and DecodeWizard decodes the
// answer again on the reflective path, which also words the errors.

// fastDecoder is a data type with a hand-written decoder. decodeFast reads
// one value, null included, into a zero receiver.
type fastDecoder interface {
	decodeFast(s *scanner) bool
}

var (
	_ fastDecoder = (*WizardInitData)(nil)
	_ fastDecoder = (*SignInData)(nil)
	_ fastDecoder = (*Tokens)(nil)
)

// once marks field i of a decoder seen. It refuses a key the decoder would
// match only by case (ok false) and a field met twice, which encoding/json
// merges into the first value in ways not worth repeating here.
func once(seen *uint8, i int, ok bool) bool {
	if !ok {
		return false
	}
	if i < 0 {
		return true
	}
	bit := uint8(1) << i
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// decodeWizardFast decodes a wizard answer whose data type has a
// hand-written decoder (or is json.RawMessage), as decodeWizardOnePass and
// the careful path would; false means "not read: take the reflective path".
func decodeWizardFast[D any](body []byte) (*Wizard[D], bool) {
	w := &Wizard[D]{}
	var data func(s *scanner) bool
	switch d := any(&w.Data).(type) {
	case fastDecoder:
		data = d.decodeFast
	case *json.RawMessage:
		data = func(s *scanner) bool {
			raw, ok := s.raw()
			*d = append(json.RawMessage(nil), raw...)
			return ok
		}
	default:
		return nil, false
	}
	const uuidSeen, workflowSeen = 1 << 3, 1 << 4
	var seen uint8
	s := &scanner{b: body}
	ok := s.object(func(key []byte) bool {
		i, ok := field(key, "code", "data", "done", "uuid", "workflow")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return s.null() || s.smallInt(&w.Code)
		case 1:
			return data(s)
		case 2:
			return s.boolean(&w.Done)
		case 3:
			raw, ok := s.rawString(false)
			w.UUID = string(raw)
			return ok
		case 4:
			raw, ok := s.rawString(false)
			w.Workflow = workflowName(raw)
			return ok
		}
		return s.skip()
	})
	if !ok || !s.end() || seen&(uuidSeen|workflowSeen) != uuidSeen|workflowSeen {
		return nil, false
	}
	return w, true
}

// workflowName returns the documents' workflow names without allocating.
func workflowName(raw []byte) string {
	switch string(raw) {
	case WorkflowLogin:
		return WorkflowLogin
	case Workflow2FA:
		return Workflow2FA
	case Workflow2FAGoogleAuth:
		return Workflow2FAGoogleAuth
	case Workflow2FASMSAuth:
		return Workflow2FASMSAuth
	case WorkflowResetPasswordEmail:
		return WorkflowResetPasswordEmail
	case WorkflowResetPassword:
		return WorkflowResetPassword
	}
	return string(raw)
}

func (d *WizardInitData) decodeFast(s *scanner) bool {
	if s.null() {
		return true
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "recaptcha", "is_qr_available", "is_password_recovery_available")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return d.Recaptcha.decodeFast(s)
		case 1:
			return s.boolean(&d.IsQRAvailable)
		case 2:
			return s.boolean(&d.IsPasswordRecoveryAvailable)
		}
		return s.skip()
	})
}

func (d *Recaptcha) decodeFast(s *scanner) bool {
	if s.null() {
		return true
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "enabled")
		if !once(&seen, i, ok) {
			return false
		}
		if i == 0 {
			return s.boolean(&d.Enabled)
		}
		return s.skip()
	})
}

func (d *SignInData) decodeFast(s *scanner) bool {
	if s.null() {
		return true
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "accessToken", "refreshToken", "tfaProviders")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return decodeToken(s, &d.AccessToken)
		case 1:
			return decodeToken(s, &d.RefreshToken)
		case 2:
			return decodeProviders(s, &d.TFAProviders)
		}
		return s.skip()
	})
}

func (d *Tokens) decodeFast(s *scanner) bool {
	if s.null() {
		return true
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "accessToken", "refreshToken")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return decodeToken(s, &d.AccessToken)
		case 1:
			return decodeToken(s, &d.RefreshToken)
		}
		return s.skip()
	})
}

// decodeToken reads a *Token: null is nil.
func decodeToken(s *scanner, dst **Token) bool {
	if s.null() {
		*dst = nil
		return true
	}
	t := &Token{}
	*dst = t
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "token", "createdAt", "expiresAt")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return s.str(&t.Token)
		case 1:
			return s.str(&t.CreatedAt)
		case 2:
			return s.str(&t.ExpiresAt)
		}
		return s.skip()
	})
}

// decodeProviders reads tfaProviders: null is nil, [] an empty list.
func decodeProviders(s *scanner, dst *[]TFAProvider) bool {
	if s.null() {
		*dst = nil
		return true
	}
	list := make([]TFAProvider, 0, 2)
	ok := s.array(func() bool {
		list = append(list, TFAProvider{})
		return list[len(list)-1].decodeFast(s)
	})
	*dst = list
	return ok
}

func (d *TFAProvider) decodeFast(s *scanner) bool {
	if s.null() {
		return true
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := field(key, "name", "localizedCaption", "enabled")
		if !once(&seen, i, ok) {
			return false
		}
		switch i {
		case 0:
			return s.str(&d.Name)
		case 1:
			return s.str(&d.LocalizedCaption)
		case 2:
			return s.boolean(&d.Enabled)
		}
		return s.skip()
	})
}
