package b2core

import "unicode/utf8"

// jsonBody is a request body that writes its own JSON, byte for byte what
// json.Marshal writes (FuzzBodiesEncodeAsStdlib): the bodies of the
// sign-in steps, which a load test sends on every flow and which
// reflection encoded at several times the cost.
type jsonBody interface {
	appendJSON(dst []byte) []byte
}

var (
	_ jsonBody = SignInRequest{}
	_ jsonBody = SignIn2FARequest{}
	_ jsonBody = CodeRequest{}
)

func (r SignInRequest) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"uuid":`...)
	dst = appendJSONString(dst, r.UUID)
	dst = append(dst, `,"email":`...)
	dst = appendJSONString(dst, r.Email)
	dst = append(dst, `,"password":`...)
	dst = appendJSONString(dst, r.Password)
	dst = append(dst, `,"device_fingerprint":`...)
	dst = appendJSONString(dst, r.DeviceFingerprint)
	if r.RecaptchaResponse != "" {
		dst = append(dst, `,"recaptchaResponse":`...)
		dst = appendJSONString(dst, r.RecaptchaResponse)
	}
	return append(dst, '}')
}

func (r SignIn2FARequest) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"uuid":`...)
	dst = appendJSONString(dst, r.UUID)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, r.Type)
	return append(dst, '}')
}

func (r CodeRequest) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"uuid":`...)
	dst = appendJSONString(dst, r.UUID)
	dst = append(dst, `,"code":`...)
	dst = appendJSONString(dst, r.Code)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json writes a string: quoted,
// with <, > and & escaped (HTML-safe), control characters, U+2028 and
// U+2029 escaped, and invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
