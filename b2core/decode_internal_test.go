package b2core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/stretchr/testify/require"
)

// agreeUnmarshal fails t unless unmarshal and encoding/json decode body to
// the same value with the same error.
func agreeUnmarshal[T any](t *testing.T, body []byte) {
	t.Helper()
	var got, want T
	gotErr, wantErr := unmarshal(body, &got), unmarshalCareful(body, &want)
	require.Equal(t, wantErr, gotErr)
	require.Equal(t, want, got)
}

// decodeWizardStdlib is DecodeWizard as it was with encoding/json alone.
func decodeWizardStdlib[D any](body []byte) (*Wizard[D], error) {
	return decodeWizard[D](body, json.Unmarshal, unmarshalCareful)
}

// agreeDecodeWizard fails t unless DecodeWizard gives what encoding/json
// alone gave: the same wizard, or the same error.
func agreeDecodeWizard[D any](t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := DecodeWizard[D](body)
	want, wantErr := decodeWizardStdlib[D](body)
	require.Equal(t, wantErr, gotErr)
	require.Equal(t, want, got)
}

// agreeOnePass fails t unless the fast path and encoding/json decode body
// the same way: both refuse it, or both give the same wizard.
func agreeOnePass[D any](t *testing.T, body []byte) {
	t.Helper()
	got, gotOK := decodeWizardOnePass[D](body, jsonv1.Unmarshal)
	want, wantOK := decodeWizardOnePass[D](body, json.Unmarshal)
	require.Equal(t, wantOK, gotOK, "accepted by encoding/json: %v, by the fast path: %v", wantOK, gotOK)
	require.Equal(t, want, got)
}

// FuzzFastDecodeAgrees holds the fast decoders (the hand-written ones of
// decode_fast.go and go-json-experiment's v1 package) to encoding/json's
// answers: DecodeWizard and the one-pass wizard decoder for each data type
// of the flows a load test runs most, DecodeTokens, and unmarshal for each
// kind of value this package decodes with it.
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
		`{"token":"t","successToken":"s","a":1,"a":2}`,
		`  `, `{"code":1}x`, `{"uuid":"u","workflow":"w"} x`, `{"uuid":"u","workflow":"w","data": { "a" : [1, 2] } }`,
		`{"uuid":"u","workflow":"w","Data":{}}`, `{"\u0075uid":"u","workflow":"w"}`, `{"uuid":"u","workflow":"w","code":-0}`,
		`{"uuid":"u","workflow":"w","code":1e2}`, `{"uuid":"u","workflow":"w","x":1,"x":2}`,
		`{"uuid":"u","workflow":"w","data":{"tfaProviders":[{"name":"g"},null]}}`,
		`{"uuid":"u","workflow":"w","data":{"accessToken":null,"tfaProviders":null,"recaptcha":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agreeOnePass[SignInData](t, b)
		agreeOnePass[Tokens](t, b)
		agreeOnePass[WizardInitData](t, b)
		agreeOnePass[ResetData](t, b)
		agreeDecodeWizard[SignInData](t, b)
		agreeDecodeWizard[Tokens](t, b)
		agreeDecodeWizard[WizardInitData](t, b)
		agreeDecodeWizard[json.RawMessage](t, b)
		agreeDecodeWizard[*EnableWizardData](t, b)
		gotT, gotErr := DecodeTokens(b)
		wantT, wantErr := decodeTokensStdlib(b)
		require.Equal(t, wantErr, gotErr)
		require.Equal(t, wantT, gotT)
		agreeUnmarshal[wizardFrame](t, b)
		agreeUnmarshal[Tokens](t, b)
		agreeUnmarshal[ChallengeResponse](t, b)
		agreeUnmarshal[map[string]json.RawMessage](t, b)
		agreeUnmarshal[QRSignInResponse](t, b)
	})
}
