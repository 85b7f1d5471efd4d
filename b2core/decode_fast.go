package b2core

import "encoding/json"

// Hand-written decoders for the answers of the sign-in flow, which a load
// generator decodes on every step: GET signin/wizard (WizardInitData),
// POST signin (SignInData), POST signin/2fa (raw data) and POST 2fa/google
// or 2fa/sms and POST refresh (Tokens). Reflective decoding of these small
// answers was about a quarter of the extension's own CPU per flow (25 µs
// in a k6 profile); these decoders read them in one pass over the bytes,
// three times faster, with fewer allocations (BenchmarkDecodeWizard).
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

// members reads an object, or null, whose fields are names (at most 8),
// calling read with the index of each one met: read must consume the
// value. Other keys are skipped. It refuses a key that matches a name only
// by case and a field met twice, which encoding/json merges into the first
// value in ways not worth repeating here. seen has bit i set for each field
// i met.
func (s *scanner) members(read func(i int) bool, names ...string) (seen uint8, ok bool) {
	if s.null() {
		return 0, true
	}
	ok = s.object(func(key []byte) bool {
		i, ok := field(key, names...)
		switch {
		case !ok:
			return false
		case i < 0:
			return s.skip()
		case seen&(1<<i) != 0:
			return false
		}
		seen |= 1 << i
		return read(i)
	})
	return seen, ok
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
	s := &scanner{b: body}
	seen, ok := s.members(func(i int) bool {
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
		default:
			raw, ok := s.rawString(false)
			w.Workflow = workflowName(raw)
			return ok
		}
	}, "code", "data", "done", "uuid", "workflow")
	const uuidSeen, workflowSeen = 1 << 3, 1 << 4
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
	_, ok := s.members(func(i int) bool {
		switch i {
		case 0:
			return d.Recaptcha.decodeFast(s)
		case 1:
			return s.boolean(&d.IsQRAvailable)
		default:
			return s.boolean(&d.IsPasswordRecoveryAvailable)
		}
	}, "recaptcha", "is_qr_available", "is_password_recovery_available")
	return ok
}

func (d *Recaptcha) decodeFast(s *scanner) bool {
	_, ok := s.members(func(int) bool { return s.boolean(&d.Enabled) }, "enabled")
	return ok
}

func (d *SignInData) decodeFast(s *scanner) bool {
	_, ok := s.members(func(i int) bool {
		switch i {
		case 0:
			return decodeToken(s, &d.AccessToken)
		case 1:
			return decodeToken(s, &d.RefreshToken)
		default:
			return decodeProviders(s, &d.TFAProviders)
		}
	}, "accessToken", "refreshToken", "tfaProviders")
	return ok
}

func (d *Tokens) decodeFast(s *scanner) bool {
	_, ok := s.members(func(i int) bool {
		if i == 0 {
			return decodeToken(s, &d.AccessToken)
		}
		return decodeToken(s, &d.RefreshToken)
	}, "accessToken", "refreshToken")
	return ok
}

// decodeToken reads a *Token: null is nil.
func decodeToken(s *scanner, dst **Token) bool {
	if s.null() {
		*dst = nil
		return true
	}
	t := &Token{}
	*dst = t
	_, ok := s.members(func(i int) bool {
		switch i {
		case 0:
			return s.str(&t.Token)
		case 1:
			return s.str(&t.CreatedAt)
		default:
			return s.str(&t.ExpiresAt)
		}
	}, "token", "createdAt", "expiresAt")
	return ok
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
	_, ok := s.members(func(i int) bool {
		switch i {
		case 0:
			return s.str(&d.Name)
		case 1:
			return s.str(&d.LocalizedCaption)
		default:
			return s.boolean(&d.Enabled)
		}
	}, "name", "localizedCaption", "enabled")
	return ok
}
