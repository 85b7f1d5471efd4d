package b2core_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// goIsm matches what a Go program, not a person, would write: a qualified
// identifier (Credentials.NewPassword, json.RawMessage), a Go map or slice
// type, or a placeholder left by masking a Go type.
var goIsm = regexp.MustCompile(`[A-Z][a-z]+\.[A-Z]|map\[|\[\][a-z*]|json\.|want \*\*\*|\*[a-z]+\.[A-Z]`)

// The server's message and its field errors reach the reason, masked.
func TestStatusErrorCarriesServerWords(t *testing.T) {
	t.Parallel()
	req := &b2core.Request{Flow: "signin", Step: "signin_2fa", Body: []byte(`{"uuid":"36f59381-5b54-48bd","type":"google"}`)}
	tests := []struct {
		name, body, want string
	}{
		{"message and errors", `{"code":422,"message":"Validation failed","errors":{"type":["sms is not enabled"],"uuid":"expired"}}`,
			"rejected: Validation failed (type: sms is not enabled; uuid: expired)"},
		{"errors alone", `{"code":422,"errors":{"type":"not enabled"}}`, "rejected: type: not enabled"},
		{"message alone", `{"code":422,"message":"Wrong step"}`, "rejected: Wrong step"},
		{"echoed values masked", `{"code":422,"errors":{"uuid":"36f59381-5b54-48bd is unknown"}}`, "rejected: uuid: *** is unknown"},
		{"a field without words", `{"code":422,"errors":{"type":{"x":1}}}`, "rejected: type"},
		{"nothing", `{"code":422}`, "rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b2core.StatusError(req, &b2core.Response{Status: 422, Body: []byte(tt.body)}, b2core.SendOptions{})
			assert.Equal(t, tt.want, e.Reason)
		})
	}
}

// A wrong shape is told in JSON's words, never in Go types.
func TestDecodeErrorsSpeakJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"object expected, array got", func() error {
			_, err := b2core.DecodeObject[b2core.TFAStatus]([]byte(`[1,2]`))
			return err
		}, "expected an object, got an array"},
		{"string expected", func() error {
			_, err := b2core.DecodeObject[b2core.TFAStatus]([]byte(`{"name":5,"isEnabled":true}`))
			return err
		}, "field name: expected a string, got a number"},
		{"list items", func() error {
			_, err := b2core.DecodeList[b2core.TFAStatus]([]byte(`{"data":{"a":1}}`))
			return err
		}, "expected an array, got an object"},
		{"wizard data", func() error {
			_, err := b2core.DecodeWizard[b2core.SignInData]([]byte(`{"code":200,"uuid":"u","workflow":"2fa","done":false,"data":{"tfaProviders":{}}}`))
			return err
		}, "expected an array, got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run()
			require.Error(t, err)
			masked := b2core.MaskSecrets(err.Error())
			assert.Contains(t, masked, tt.want)
			assert.NotRegexp(t, goIsm, masked)
		})
	}
}
