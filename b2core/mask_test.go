package b2core_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/b2core"
)

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{name: "ok/plain", in: "Invalid credentials", want: "Invalid credentials"},
		{name: "ok/field_names_kept", in: "device_fingerprint is required", want: "device_fingerprint is required"},
		{name: "ok/given_secret", in: "password hunter2 is wrong", secrets: []string{"hunter2"}, want: "password *** is wrong"},
		{name: "ok/longest_first", in: "abcdef", secrets: []string{"abc", "abcdef"}, want: "***"},
		{name: "ok/code", in: "code 761522 expired", want: "code *** expired"},
		{name: "ok/jwt", in: "token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0 bad", want: "token *** bad"},
		{name: "ok/uuid", in: "uuid 36f59381-5b54-48bd-a0c7-3b908c476732 unknown", want: "uuid *** unknown"},
		{name: "ok/base32_secret", in: "key TPYXG33M4LOHFJHB", want: "key ***"},
		{name: "ok/password_like", in: "Secret123 rejected", want: "*** rejected"},
		{name: "ok/short_numbers_kept", in: "HTTP 429 in 60 s", want: "HTTP 429 in 60 s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, b2core.MaskSecrets(tc.in, tc.secrets...))
		})
	}
}

func TestSafeMessage(t *testing.T) {
	t.Parallel()
	req := &b2core.Request{Path: "/x?email=jdoe%40example.com", Header: http.Header{"Authorization": {"Bearer tok"}},
		Body: []byte(`{"password":"pw!pw","nested":{"list":["abc"]}}`)}
	cases := []struct {
		name, in, want string
	}{
		{name: "ok/body_values", in: "pw!pw and abc", want: "*** and ***"},
		{name: "ok/query_values", in: "no jdoe@example.com", want: "no ***"},
		{name: "ok/bearer", in: "tok revoked", want: "*** revoked"},
		{name: "ok/control_chars", in: "a\nb\x00c", want: "abc"},
		{name: "err/too_long", in: strings.Repeat("x ", 100), want: ""},
		{name: "err/empty", in: "   ", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, b2core.SafeMessage(req, tc.in))
		})
	}
}
