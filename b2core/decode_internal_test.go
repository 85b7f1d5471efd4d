package b2core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// agreeDecodeWizard fails t unless DecodeWizard gives what encoding/json
// alone gives: the same wizard, or the same error.
func agreeDecodeWizard[D any](t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := DecodeWizard[D](body)
	want, wantErr := decodeWizardStdlib[D](body)
	require.Equal(t, wantErr, gotErr)
	require.Equal(t, want, got)
}

// FuzzFastDecodeAgrees holds the hand-written decoders of decode_fast.go to
// encoding/json's answers: DecodeWizard for each data type they read and
// DecodeTokens. Whatever they refuse goes to encoding/json itself, so the
// two agree unless a hand-written decoder takes an answer and reads it
// otherwise.
func FuzzFastDecodeAgrees(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "examples", "*.json"))
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	for _, s := range []string{
		`{"code":200,"data":{"ACCESSTOKEN":{"token":"a"}},"done":false,"uuid":"u","workflow":"w"}`,
		`{"code":200,"data":{"accessToken":{"token":"a"}},"data":{"refreshToken":{"token":"r"}},"uuid":"u","workflow":"w"}`,
		`{"code":"200","data":null,"uuid":"u","workflow":"w"}`,
		`{"code":2.5,"data":[],"uuid":"u","workflow":"w"}`,
		`{"data":{"tfaProviders":null,"recaptcha":{"enabled":true}},"uuid":"\ud800","workflow":"w"}`,
		"{\"uuid\":\"\xff\",\"workflow\":\"w\"}",
		`{"uuid":"u","workflow":"w","done":null,"code":null}`,
		`{"uuid":"u","workflow":"w","data":null}`,
		`{"accessToken":{"token":"a"},"refreshToken":{"token":"r"},}`,
		`  `, `{"code":1}x`, `{"uuid":"u","workflow":"w"} x`, `{"uuid":"u","workflow":"w","data": { "a" : [1, 2] } }`,
		`{"uuid":"u","workflow":"w","Data":{}}`, `{"\u0075uid":"u","workflow":"w"}`, `{"uuid":"u","workflow":"w","code":-0}`,
		`{"uuid":"u","workflow":"w","code":1e2}`, `{"uuid":"u","workflow":"w","x":1,"x":2}`,
		`{"uuid":"u","workflow":"w","data":{"tfaProviders":[{"name":"g"},null]}}`,
		`{"uuid":"u","workflow":"w","data":{"accessToken":null,"tfaProviders":null,"recaptcha":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agreeDecodeWizard[SignInData](t, b)
		agreeDecodeWizard[Tokens](t, b)
		agreeDecodeWizard[WizardInitData](t, b)
		agreeDecodeWizard[json.RawMessage](t, b)
		gotT, gotErr := DecodeTokens(b)
		wantT, wantErr := decodeTokensStdlib(b)
		require.Equal(t, wantErr, gotErr)
		require.Equal(t, wantT, gotT)
	})
}
