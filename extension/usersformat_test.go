package extension

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A user file says each user's 2FA methods in twoFactor; nothing is
// inferred from a phone or a secret.
func TestUserFileTwoFactor(t *testing.T) {
	t.Parallel()
	const phone, secret = "+15550000001", "JBSWY3DPEHPK3PXP"
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"JSON without twoFactor, with a phone and a secret", `[{"email":"a@x","password":"p","phone":"` + phone + `","totpSecret":"` + secret + `"}]`, []string{}},
		{"JSON null", `[{"email":"a@x","phone":"` + phone + `","twoFactor":null}]`, []string{}},
		{"JSON empty array", `[{"email":"a@x","phone":"` + phone + `","twoFactor":[]}]`, []string{}},
		{"JSON none", `[{"email":"a@x","phone":"` + phone + `","twoFactor":"none"}]`, []string{}},
		{"JSON google", `[{"email":"a@x","twoFactor":["google"]}]`, []string{"google"}},
		{"JSON both", `[{"email":"a@x","twoFactor":"both"}]`, []string{"google", "sms"}},
		{"JSON sms, google", `[{"email":"a@x","twoFactor":["sms","google"]}]`, []string{"google", "sms"}},
		{"CSV empty cell", "email,phone,twoFactor\na@x," + phone + ",\n", []string{}},
		{"CSV no column", "email,phone\na@x," + phone + "\n", []string{}},
		{"CSV none", "email,phone,twoFactor\na@x," + phone + ",none\n", []string{}},
		{"CSV google", "email,twoFactor\na@x,google\n", []string{"google"}},
		{"CSV sms", "email,twoFactor\na@x,sms\n", []string{"sms"}},
		{"CSV google+sms", "email,twoFactor\na@x,google+sms\n", []string{"google", "sms"}},
		{"CSV both", "email,twoFactor\na@x,both\n", []string{"google", "sms"}},
		{"CSV google|sms", "email,twoFactor\na@x,google|sms\n", []string{"google", "sms"}},
	} {
		users, err := parseUsers([]byte(c.file))
		require.NoError(t, err, c.name)
		require.Len(t, users, 1, c.name)
		assert.Equal(t, c.want, users[0].TwoFactor, c.name)
	}
}

// A picker over a file whose users have phones but no SMS counts only the
// users whose twoFactor says sms.
func TestPickerReadsTwoFactorNotPhones(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		tf := ""
		if i%10 == 0 {
			tf = `,"twoFactor":["sms"]`
		}
		b.WriteString(`{"email":"u` + strings.Repeat("x", i) + `@x","password":"p","phone":"+15550000001"` + tf + `}`)
	}
	b.WriteString("]")
	users, err := parseUsers([]byte(b.String()))
	require.NoError(t, err)
	set, err := packUsers("", users)
	require.NoError(t, err)
	assert.Len(t, newPickerState("sms", set, pickerOptions{TwoFactor: "sms"}).entries, 10)
	assert.Len(t, newPickerState("none", set, pickerOptions{TwoFactor: "none"}).entries, 90)
}

// A field or column the format does not have is refused by name: a typo
// is not silently an empty password.
func TestUserFileUnknownFields(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		`[{"email":"a@x","password":"secret-pw"},{"email":"b@x","password":"secret-pw"},{"email":"c@x","pasword":"secret-pw"}]`: `user 3: unknown field "pasword"`,
		`{"users":[{"email":"a@x"}],"meta":1}`:                              `unknown field "meta" at the top level`,
		"email,pasword\na@x,secret-pw\n":                                    `CSV: unknown column "pasword"`,
		"email,password,\na@x,secret-pw,\n":                                 "column 3 of the header row has no name",
		"email,password\na@x,secret-pw,more\n":                              "CSV line 2: 3 cells, but the header row names 2 columns",
		"email,secret,totpSecret\na@x,secret-pw,secret-pw\n":                "say the same",
		"email,twoFactor\na@x,voice\n":                                      `CSV line 2: twoFactor has "voice"; expected none, google, sms, google+sms or both`,
		`[{"email":"a@x","password":"secret-pw","twoFactor":["google",1]}]`: "user 1: twoFactor must be an array of strings",
		`[{"email":"a@x","password":"secret-pw"},5]`:                        "user 2 is not an object",
	} {
		_, err := parseUsers([]byte(file))
		if assert.Error(t, err, file) {
			assert.Contains(t, err.Error(), want, file)
			assert.NotContains(t, err.Error(), "secret-pw", file)
		}
	}
}

// The streaming reader refuses what is not JSON, as encoding/json does.
func TestUserFileJSONSyntax(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		`[{"email":"a@x","id":01}]`, `[{"email":"a@x","id":+1}]`, `[{"email":"a@x","id":1.}]`,
		`[{"email":"a@x","id":.5}]`, `[{"email":"a@x"}] x`, `[{"email":"a@x",}]`, `[{"email":"a@x"},]`,
		`[{"email":"a\x01"}]`, `[{"email":"a\q"}]`, `[{"email":"a@x"`, `[{"email":nul}]`, `{"users":[]`,
	} {
		_, err := parseUsers([]byte(file))
		if assert.Error(t, err, file) {
			assert.Contains(t, err.Error(), "not valid JSON: syntax error at byte", file)
		}
	}
	users, err := parseUsers([]byte("\ufeff" + `{"users":[{"email":"a\u00e9\"\\\/","id":-0}]}` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, "aé\"\\/", users[0].Email)
}

// A string's invalid UTF-8 (raw bytes or a lone surrogate escape) reads as
// encoding/json reads it: one U+FFFD per invalid byte or escape.
func TestUserFileInvalidUTF8AsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, email := range []string{"a\xff\xfeb", "\xf8\xf8", `a\ud800b`, `\udc00\ud800`, "ok\xe2\x82", `\ud83d\ude00`} {
		file := `[{"email":"` + email + `"}]`
		var want []struct{ Email string }
		require.NoError(t, json.Unmarshal([]byte(file), &want), "%q", file)
		users, err := parseUsers([]byte(file))
		require.NoError(t, err, "%q", file)
		assert.Equal(t, want[0].Email, users[0].Email, "%q", file)
	}
}

// A file that fails while it is read says so in the reader's words: a
// failed read is not a syntax error of the file.
func TestUserFileReadError(t *testing.T) {
	t.Parallel()
	for _, head := range []string{`[{"email":"a@x","password":"secret-pw"},{"email":"b`, `{"users":[`, `[`} {
		broken := errors.New("input/output error")
		_, err := loadUsers("", execSegment{}, func() (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(strings.NewReader(head), iotest.ErrReader(broken))), nil
		})
		require.Error(t, err, head)
		assert.ErrorIs(t, err, broken, head)
		assert.Equal(t, "reading: input/output error", err.Error(), head)
	}
}
