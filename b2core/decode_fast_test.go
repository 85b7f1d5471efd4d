package b2core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFastDecodersTakeFlowAnswers holds the hand-written decoders to the
// answers they exist for: each must be read by them (a fast path that
// always fell back would pass every agreement test), to the value
// encoding/json gives. What they must leave to the reflective path is
// refused, and DecodeWizard still decodes it.
func TestFastDecodersTakeFlowAnswers(t *testing.T) {
	t.Parallel()
	example := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
		require.NoError(t, err)
		return string(b)
	}
	type check func(t *testing.T, body string, taken bool)
	for name, tc := range map[string]struct {
		body  string
		taken bool
		check check
	}{
		"ok/signin_wizard":        {example("signin_wizard.json"), true, fastAgrees[WizardInitData]},
		"ok/signin_2fa":           {example("signin_2fa.json"), true, fastAgrees[SignInData]},
		"ok/signin_login":         {example("signin_login.json"), true, fastAgrees[SignInData]},
		"ok/choose":               {example("signin_2fa_choose_google.json"), true, fastAgrees[json.RawMessage]},
		"ok/tokens-as-data":       {example("signin_login.json"), true, fastAgrees[Tokens]},
		"ok/unknown-fields":       {`{"x":[1,{"y":"\u00e9"}],"uuid":"u","workflow":"w","data":{"z":-1.5e3,"recaptcha":{"q":true}}}`, true, fastAgrees[WizardInitData]},
		"ok/nulls":                {`{"code":null,"done":null,"uuid":"u","workflow":"w","data":{"accessToken":null,"tfaProviders":[null]}}`, true, fastAgrees[SignInData]},
		"ok/empty-providers":      {`{"uuid":"u","workflow":"w","data":{"tfaProviders":[]}}`, true, fastAgrees[SignInData]},
		"ok/utf8-value":           {`{"uuid":"ü","workflow":"w","data":{"tfaProviders":[{"localizedCaption":"Аутентификатор"}]}}`, true, fastAgrees[SignInData]},
		"ok/raw-data-kept":        {`{"uuid":"u","workflow":"w","data": { "a" : [1, 2] } }`, true, fastAgrees[json.RawMessage]},
		"refused/trailing-comma":  {example("2fa_google.json"), false, fastAgrees[Tokens]},
		"refused/case-folded-key": {`{"UUID":"u","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/duplicate-key":   {`{"uuid":"u","uuid":"v","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/escape-in-value": {`{"uuid":"u\/v","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/invalid-utf8":    {"{\"uuid\":\"\xff\",\"workflow\":\"w\"}", false, fastAgrees[WizardInitData]},
		"refused/null-uuid":       {`{"uuid":null,"workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/missing-uuid":    {`{"workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/float-code":      {`{"code":2e2,"uuid":"u","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/data-array":      {`{"data":[],"uuid":"u","workflow":"w"}`, false, fastAgrees[SignInData]},
		"refused/bad-skipped":     {`{"x":[1,],"uuid":"u","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/trailing-bytes":  {`{"uuid":"u","workflow":"w"} x`, false, fastAgrees[WizardInitData]},
		"refused/deep-skipped":    {`{"x":` + repeat("[", 100) + repeat("]", 100) + `,"uuid":"u","workflow":"w"}`, false, fastAgrees[WizardInitData]},
		"refused/pointer-data":    {`{"uuid":"u","workflow":"w","data":{}}`, false, fastAgrees[*EnableWizardData]},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, tc.body, tc.taken)
		})
	}
}

func repeat(s string, n int) (out string) {
	for range n {
		out += s
	}
	return out
}

// fastAgrees checks that decodeWizardFast takes body or not as told, and
// that DecodeWizard gives what encoding/json alone gives either way.
func fastAgrees[D any](t *testing.T, body string, taken bool) {
	t.Helper()
	w, ok := decodeWizardFast[D]([]byte(body))
	assert.Equal(t, taken, ok, "taken by the hand-written decoder")
	want, wantErr := decodeWizardStdlib[D]([]byte(body))
	if ok {
		require.NoError(t, wantErr)
		assert.Equal(t, want, w)
	}
	got, gotErr := DecodeWizard[D]([]byte(body))
	assert.Equal(t, wantErr, gotErr)
	assert.Equal(t, want, got)
}

func TestDecodeTokensFast(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		body    string
		wantErr string
	}{
		"ok/pair":           {`{"accessToken":{"token":"a","expiresAt":"x"},"refreshToken":{"token":"r"}}`, ""},
		"ok/trailing-comma": {`{"accessToken":{"token":"a"},"refreshToken":{"token":"r"},}`, ""},
		"ok/case-folded":    {`{"ACCESSTOKEN":{"token":"a"},"refreshToken":{"token":"r"}}`, ""},
		"err/null":          {`null`, "missing field accessToken"},
		"err/missing-token": {`{"accessToken":{},"refreshToken":{"token":"r"}}`, "missing field accessToken.token"},
		"err/wrong-type":    {`{"accessToken":{"token":5},"refreshToken":{"token":"r"}}`, "wrong shape"},
		"err/invalid-json":  {`{"accessToken":`, "invalid JSON"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeTokens([]byte(tc.body))
			want, wantErr := decodeTokensStdlib([]byte(tc.body))
			assert.Equal(t, wantErr, err)
			assert.Equal(t, want, got)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// decodeTokensStdlib is DecodeTokens with encoding/json alone.
func decodeTokensStdlib(body []byte) (*Tokens, error) {
	var t Tokens
	if err := unmarshal(body, &t); err != nil {
		return nil, err
	}
	if err := checkTokens(t.AccessToken, t.RefreshToken); err != nil {
		return nil, err
	}
	return &t, nil
}
