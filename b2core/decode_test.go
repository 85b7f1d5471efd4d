package b2core_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// docExamples returns every example answer of the documents.
func docExamples(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "examples", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

var fuzzExtra = []string{
	``, `null`, `[]`, `{}`, `"x"`, `1e400`, `{"workflow":1}`, `{"data":[1,],}`, `{"a":"\u00zz"}`,
	`{"code":200,"data":[],"done":true,"uuid":"u","workflow":"w",}`,
	`{"total":"1","data":[null]}`, `{"accessToken":{"token":5}}`, `{"token":"","successToken":"x"}`,
	`{"code": 99999999999999999999, "uuid": "", "workflow": ""}`,
}

func FuzzDecodeWizard(f *testing.F) {
	for _, b := range docExamples(f) {
		f.Add(b)
	}
	for _, s := range fuzzExtra {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, err := b2core.DecodeWizard[json.RawMessage](b); err == nil {
			require.NotNil(t, w)
		} else {
			var de *b2core.DecodeError
			require.ErrorAs(t, err, &de)
			require.NotEmpty(t, de.Reason)
		}
		_, _ = b2core.DecodeWizard[b2core.SignInData](b)
		_, _ = b2core.DecodeWizard[b2core.Tokens](b)
		_, _ = b2core.DecodeWizard[*b2core.EnableWizardData](b)
		_, _ = b2core.DecodeWizard[b2core.ResetData](b)
		_, _ = b2core.DecodeWizard[b2core.WizardInitData](b)
	})
}

func FuzzDecodeTokens(f *testing.F) {
	for _, b := range docExamples(f) {
		f.Add(b)
	}
	for _, s := range fuzzExtra {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if tk, err := b2core.DecodeTokens(b); err == nil {
			require.NotEmpty(t, tk.AccessToken.Token)
			require.NotEmpty(t, tk.RefreshToken.Token)
			s := b2core.SessionFromTokens(*tk)
			require.Equal(t, tk.AccessToken.Token, s.AccessToken)
		}
		if c, err := b2core.DecodeChallenge(b); err == nil {
			require.NotEmpty(t, c.SuccessTokenValue())
		}
		_, _ = b2core.DecodeObject[b2core.QRSignInResponse](b, "clientId", "tokens")
		_, _ = b2core.DecodeObject[b2core.QRChannel](b, "id")
	})
}

func FuzzDecodeList(f *testing.F) {
	for _, b := range docExamples(f) {
		f.Add(b)
	}
	for _, s := range fuzzExtra {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, err := b2core.DecodeList[b2core.TFAChange](b, "id", "provider", "isEnabled"); err == nil {
			require.NotNil(t, l.Data)
		}
		_, _ = b2core.DecodeList[b2core.TFAStatus](b, "name", "isEnabled")
		_, _ = b2core.DecodeList[b2core.PasswordChange](b, "id", "type", "createTime")
		_, _ = b2core.DecodeObject[b2core.TFAChange](b, "id")
		_, _ = b2core.DecodeObject[b2core.PasswordChange](b, "id")
	})
}

func TestDecodeWizard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, reason string
	}{
		{name: "ok/docs_trailing_comma", body: `{"code":202,"data":[],"done":true,"uuid":"u","workflow":"w",}`},
		{name: "ok/trailing_comma_in_string_kept", body: `{"uuid":"a,}","workflow":"w"}`},
		{name: "ok/no_code_no_done", body: `{"uuid":"u","workflow":"w"}`},
		{name: "err/empty", body: ``, reason: "empty body"},
		{name: "err/truncated", body: `{"uuid":"u","workflow":`, reason: "invalid JSON"},
		{name: "err/top_level_array", body: `[]`, reason: "wrong shape"},
		{name: "err/null", body: `null`, reason: "missing field workflow"},
		{name: "err/code_string", body: `{"code":"200","uuid":"u","workflow":"w"}`, reason: "wrong shape"},
		{name: "err/workflow_number", body: `{"uuid":"u","workflow":1}`, reason: "wrong shape"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := b2core.DecodeWizard[b2core.ResetData]([]byte(tc.body))
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			var de *b2core.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.reason, de.Reason)
		})
	}
	t.Run("err/type_error_hides_the_value", func(t *testing.T) {
		t.Parallel()
		_, err := b2core.DecodeWizard[b2core.ResetData]([]byte(`{"uuid":"u","workflow":"w","data":{"client":{"id":761522.5}}}`))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "761522")
	})
}

func TestParseTimeAndSession(t *testing.T) {
	t.Parallel()
	want := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, v string
		zero    bool
	}{
		{name: "ok/docs_offset", v: "2022-01-01T00:00:00+00:00"},
		{name: "ok/zulu", v: "2022-01-01T00:00:00Z"},
		{name: "ok/micro", v: "2022-01-01T00:00:00.000000Z"},
		{name: "ok/other_offset", v: "2022-01-01T02:00:00+02:00"},
		{name: "ok/lower_case", v: "2022-01-01t00:00:00z"},
		{name: "ok/space", v: "2022-01-01 00:00:00+00:00"},
		{name: "err/garbage", v: "yesterday", zero: true},
		{name: "err/empty", v: "", zero: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := b2core.SessionFromTokens(b2core.Tokens{AccessToken: &b2core.Token{Token: "a", ExpiresAt: tc.v}, RefreshToken: &b2core.Token{Token: "r", ExpiresAt: tc.v}})
			if tc.zero {
				assert.True(t, s.AccessExpiresAt.IsZero())
				return
			}
			assert.True(t, want.Equal(s.AccessExpiresAt), s.AccessExpiresAt)
			assert.True(t, want.Equal(s.RefreshExpiresAt))
		})
	}
}
