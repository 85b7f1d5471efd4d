package b2core

import (
	"encoding/json"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// BenchmarkDecodeWizard measures decoding the four answers of the sign-in +
// Google TOTP flow, as the reference server writes them, three ways side by
// side: DecodeWizard as it is (the hand-written decoders of decode_fast.go),
// the reflective one pass of go-json-experiment/json's v1 package (what
// DecodeWizard falls back to) and encoding/json alone.
//
//	go test -run='^$' -bench=DecodeWizard -benchmem ./b2core/
func BenchmarkDecodeWizard(b *testing.B) {
	const (
		wizard = `{"code":200,"data":{"recaptcha":{"enabled":false},"is_qr_available":true,"is_password_recovery_available":true},"done":false,"uuid":"e4f721a4-f7d1-4423-803d-40612a800d68","workflow":"login"}`
		signIn = `{"code":200,"data":{"accessToken":{},"refreshToken":{},"tfaProviders":[{"name":"sms","localizedCaption":"SMS","enabled":false},{"name":"google","localizedCaption":"Google Authenticator","enabled":true}]},"done":false,"uuid":"e4f721a4-f7d1-4423-803d-40612a800d68","workflow":"2fa"}`
		choose = `{"code":200,"data":null,"done":false,"uuid":"e4f721a4-f7d1-4423-803d-40612a800d68","workflow":"2fa_google_auth"}`
		tokens = `{"code":202,"data":{"accessToken":{"token":"Yx3kY1mQ0xw5lJx8w9v2tU7c3b6a1Z0yX4wV8uT2sR5qP","createdAt":"2026-12-01T08:44:21+00:00","expiresAt":"2026-12-01T08:59:21+00:00"},"refreshToken":{"token":"Qm9uZ2xlc3MgcmVmcmVzaCB0b2tlbiBmb3IgdGhlIGJlbmNo","createdAt":"2026-12-01T08:44:21+00:00","expiresAt":"2026-12-02T08:44:21+00:00"}},"done":true,"uuid":"e4f721a4-f7d1-4423-803d-40612a800d68","workflow":"login"}`
	)
	decoders := []struct {
		name string
		run  func(b *testing.B)
	}{
		{"wizard", benchAnswer[WizardInitData](wizard)},
		{"signin", benchAnswer[SignInData](signIn)},
		{"choose", benchAnswer[json.RawMessage](choose)},
		{"tokens", benchAnswer[Tokens](tokens)},
	}
	for _, d := range decoders {
		b.Run(d.name, d.run)
	}
}

// benchAnswer benchmarks the decoders of one answer.
func benchAnswer[D any](body string) func(b *testing.B) {
	return func(b *testing.B) {
		raw := []byte(body)
		for _, dec := range []struct {
			name string
			fn   func([]byte) (*Wizard[D], error)
		}{
			{"fast", DecodeWizard[D]},
			{"jsonv1", func(b []byte) (*Wizard[D], error) { return decodeWizard[D](b, jsonv1.Unmarshal, unmarshal) }},
			{"stdlib", decodeWizardStdlib[D]},
		} {
			b.Run(dec.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if _, err := dec.fn(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
