package b2core

import (
	"encoding/json"
	"errors"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// BenchmarkDecodeWizard measures decoding the four answers of the sign-in +
// Google TOTP flow, as the reference server writes them, four ways side by
// side: DecodeWizard as it is (the hand-written decoders of decode_fast.go),
// one reflective pass by go-json-experiment/json v2 (with the options that
// read names as encoding/json does) and by its v1 package (encoding/json's
// semantics on the v2 engine), and encoding/json alone (DecodeWizard's
// fallback).
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
			{"jsonv2", decodeWizardWith[D](func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, v2Names) })},
			{"jsonv1", decodeWizardWith[D](jsonv1.Unmarshal)},
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

// v2Names make json v2 match names as encoding/json does: case-insensitively,
// but with underscores and dashes exact.
var v2Names = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true))

// decodeWizardWith is DecodeWizard's one pass (or, for raw data, its frame)
// by decode alone, for a well-formed answer.
func decodeWizardWith[D any](decode func([]byte, any) error) func([]byte) (*Wizard[D], error) {
	return func(b []byte) (*Wizard[D], error) {
		w := &Wizard[D]{}
		if raw, ok := any(&w.Data).(*json.RawMessage); ok {
			var f wizardFrame
			if err := decode(b, &f); err != nil || f.UUID == nil || f.Workflow == nil {
				return nil, errors.New("refused")
			}
			w.UUID, w.Workflow, *raw = *f.UUID, *f.Workflow, f.Data
			return w, nil
		}
		var f typedFrame[D]
		if err := decode(b, &f); err != nil || f.UUID == nil || f.Workflow == nil || f.Data == nil {
			return nil, errors.New("refused")
		}
		w.UUID, w.Workflow, w.Data = *f.UUID, *f.Workflow, *f.Data
		return w, nil
	}
}

// BenchmarkEncodeBodies measures encoding the three request bodies of the
// sign-in + Google TOTP flow by encoding/json (what the client uses) and by
// go-json-experiment/json v2.
//
//	go test -run='^$' -bench=EncodeBodies -benchmem ./b2core/
func BenchmarkEncodeBodies(b *testing.B) {
	bodies := []any{
		SignInRequest{UUID: "e4f721a4-f7d1-4423-803d-40612a800d68", Email: "user000123@example.test", Password: "Passw0rd!x7", DeviceFingerprint: "eyJ1c2VyX2FnZW50IjoiYXV0aGZsb3ctYmVuY2gvMS4wIn0="},
		SignIn2FARequest{UUID: "e4f721a4-f7d1-4423-803d-40612a800d68", Type: "google"},
		CodeRequest{UUID: "e4f721a4-f7d1-4423-803d-40612a800d68", Code: "123456"},
	}
	for _, enc := range []struct {
		name string
		fn   func(any) ([]byte, error)
	}{
		{"stdlib", json.Marshal},
		{"jsonv2", func(v any) ([]byte, error) { return jsonv2.Marshal(v) }},
	} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				for _, v := range bodies {
					if _, err := enc.fn(v); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
