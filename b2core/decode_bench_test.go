package b2core_test

import (
	"testing"

	"github.com/authflow/authflow/b2core"
)

// BenchmarkDecodeWizard measures decoding the sign-in answer, the most
// frequent wizard answer of a load test.
func BenchmarkDecodeWizard(b *testing.B) {
	body := []byte(`{"code":202,"data":{"accessToken":{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstuvwxyz0123456789","createdAt":"2026-01-01T00:00:00+00:00","expiresAt":"2026-01-01T00:15:00+00:00"},"refreshToken":{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.zyxwvutsrqponmlkjihgfedcba9876543210","createdAt":"2026-01-01T00:00:00+00:00","expiresAt":"2026-01-02T00:00:00+00:00"},"tfaProviders":[{"name":"sms","localizedCaption":"SMS","enabled":false},{"name":"google","localizedCaption":"Google Authenticator","enabled":false}]},"done":true,"uuid":"36f59381-5b54-48bd-a0c7-3b908c476732","workflow":"login"}`)
	b.ReportAllocs()
	for range b.N {
		if _, err := b2core.DecodeWizard[b2core.SignInData](body); err != nil {
			b.Fatal(err)
		}
	}
}
