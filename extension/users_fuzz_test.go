package extension

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// fuzzPassword is the password planted in the seeds: no error may quote it.
const fuzzPassword = "S3cret-pw!"

// FuzzParseUsers: a user file, JSON or CSV, whatever its bytes, is read
// without a panic; what is read is usable (every user passes checkUser)
// and reads the same written back in either format; an error is one
// non-empty line that quotes no password or TOTP secret of the file.
//
//	go test -run='^$' -fuzz='^FuzzParseUsers$' -fuzztime=100000x ./extension/
func FuzzParseUsers(f *testing.F) {
	for _, s := range []string{
		// The formats of TestParseUsers and what `authflow serve --users-file` writes.
		`[{"id":1,"email":"a@x.test","password":"S3cret-pw!","totpSecret":"JBSWY3DPEHPK3PXP","phone":null,"twoFactor":["google"],"username":"user1"},
		  {"id":2,"email":"b@x.test","password":"p2","totpSecret":null,"phone":"+15550000002","twoFactor":["sms"]}]`,
		`{"users":[{"id":"3","email":"c@x.test","password":"S3cret-pw!","twoFactor":"google;sms","externalId":"e-3"}]}`,
		"\xef\xbb\xbf[{\"email\":\"a@x\",\"password\":\"S3cret-pw!\",\"twoFactor\":null}]",
		"email,password,totpSecret,phone,twoFactor,id\n" +
			"a@x.test,S3cret-pw!,JBSWY3DPEHPK3PXP,,google,1\n" +
			"b@x.test,\"p,2\",,+15550000002,google;sms,2\n\n",
		"Email, Pass_word ,TOTP-Secret,phone,two factor,ID,user name,external_id\r\n a@x,S3cret-pw!,null,NULL,google|sms, 7,u,e\r\n",
		"email,secret\na@x,JBSWY3DPEHPK3PXP\n  \n",
		// Odd inputs, each with the password where an error could show it.
		``, " \n\t", `[]`, `{}`, `null`, `[null]`, `{"users":null}`, `"S3cret-pw!"`, `[{}]`,
		`[{"password":"S3cret-pw!"}]`,
		`[{"email":"a","password":"S3cret-pw!","twoFactor":["x"]}]`,
		`[{"email":"a","password":"S3cret-pw!","twoFactor":"google,voice"}]`,
		`[{"email":"a","password":"S3cret-pw!","twoFactor":5}]`,
		`[{"email":"a","password":5,"totpSecret":"S3cret-pw!"}]`,
		`[{"email":"a","password":"S3cret-pw!","id":"S3cret-pw!"}]`,
		`[{"email":"a","password":"S3cret-pw!","id":1.5}]`,
		`[{"email":"a","password":"S3cret-pw!","id":99999999999999999999}]`,
		`[{"email":"a","PASSWORD":"S3cret-pw!","Email":["b"]}]`,
		`[{"email":"a","password":"S3cret-pw!"`,
		`{"users":[{"email":"a","password":"S3cret-pw!"}],"users":{"x":1}}`,
		"password\nS3cret-pw!\n",
		"email,password\n\"a@x,S3cret-pw!\n",
		"email,password,id\na@x,S3cret-pw!,notanumber\n",
		"email,password,twoFactor\na@x,S3cret-pw!,google;S3cret-pw!\n",
		"email,password\n,S3cret-pw!\n",
		"email\n\"a\"b\"\n",
		"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := parseUsers(data)
		// The streaming JSON reader and encoding/json agree on what JSON is.
		if body := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))); len(body) > 0 && (body[0] == '[' || body[0] == '{') {
			if err == nil {
				require.True(t, json.Valid(body), "accepted invalid JSON")
			} else if strings.Contains(err.Error(), "syntax error") {
				require.False(t, json.Valid(body), "refused valid JSON: %v", err)
			}
		}
		secrets, others := userFileValues(data)
		if err != nil {
			require.Nil(t, users)
			msg := err.Error()
			require.NotEmpty(t, msg)
			require.NotContains(t, msg, "\n", "an error is one line")
			// The planted password may appear in the message only if the
			// file also has it as a value that is not a secret.
			for _, s := range secrets {
				if strings.Contains(s, fuzzPassword) && !strings.Contains(others, fuzzPassword) {
					require.NotContains(t, msg, fuzzPassword, "the error quotes a password")
				}
			}
		} else {
			require.NotEmpty(t, users)
			for i, u := range users {
				require.NoError(t, checkUser(u), "user %d", i+1)
			}
			roundTripUsers(t, users)
			// Packed for sharing, every user reads back as it was.
			set, err := packUsers("", users)
			require.NoError(t, err)
			require.Equal(t, len(users), set.Len())
			for i, u := range users {
				require.Equal(t, u, set.At(i), "user %d", i+1)
			}
		}
		secretsChangeNothing(t, data)
	})
}

// userFileValues reads a user file loosely, as parseUsers would pick its
// format: the values of its secret fields (password, totpSecret) and all
// its other strings (keys, header and cells included), joined by NULs.
func userFileValues(data []byte) (secrets []string, others string) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	var rest []string
	if len(data) > 0 && (data[0] == '[' || data[0] == '{') {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return nil, ""
		}
		walkJSON(v, func(key string, s string) {
			if isSecretKey(key) {
				secrets = append(secrets, s)
			} else {
				rest = append(rest, s)
			}
		})
		return secrets, strings.Join(rest, "\x00")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, ""
	}
	rest = append(rest, header...)
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		for i, cell := range rec {
			if i < len(header) && isSecretKey(normalizeHeader(header[i])) {
				secrets = append(secrets, strings.TrimSpace(cell))
			} else {
				rest = append(rest, cell)
			}
		}
	}
	return secrets, strings.Join(rest, "\x00")
}

func normalizeHeader(h string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.TrimSpace(h)))
}

// isSecretKey is true of the JSON keys (matched as encoding/json does, case
// folded) and normalised CSV columns that hold a secret.
func isSecretKey(k string) bool {
	return strings.EqualFold(k, "password") || strings.EqualFold(k, "totpSecret") || k == "secret"
}

// walkJSON calls fn with every string of v (map keys too, with key "") and
// the key it is the value of ("" in an array).
func walkJSON(v any, fn func(key, s string)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case string:
			fn(key, x)
		case json.Number:
			fn(key, x.String())
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case map[string]any:
			for k, e := range x {
				fn("", k)
				walk(k, e)
			}
		}
	}
	walk("", v)
}

// secretsChangeNothing holds that no error and no user field but the
// secrets themselves depends on a secret: the file re-encoded as it is and
// re-encoded with every secret replaced by as many x's read the same.
func secretsChangeNothing(t *testing.T, data []byte) {
	t.Helper()
	plain, hidden, ok := reencodeUsers(data)
	if !ok {
		return
	}
	u1, err1 := parseUsers(plain)
	u2, err2 := parseUsers(hidden)
	if err1 != nil || err2 != nil {
		require.Equal(t, errString(err1), errString(err2), "an error depends on a secret\n plain: %q\nmasked: %q", plain, hidden)
		return
	}
	require.Len(t, u2, len(u1))
	for i := range u1 {
		a, b := u1[i], u2[i]
		a.Password, b.Password, a.TOTPSecret, b.TOTPSecret = "", "", "", ""
		require.Equal(t, a, b, "user %d: a field depends on a secret", i+1)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// reencodeUsers writes data back in its own format (JSON through a generic
// tree, CSV through encoding/csv) twice: as it is, and with the secrets
// replaced. ok is false when data does not decode as either.
func reencodeUsers(data []byte) (plain, hidden []byte, ok bool) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(data) == 0 {
		return nil, nil, false
	}
	if data[0] == '[' || data[0] == '{' {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&v) != nil || dec.More() {
			return nil, nil, false
		}
		var err1, err2 error
		plain, err1 = json.Marshal(v)
		hidden, err2 = json.Marshal(maskJSON("", v))
		return plain, hidden, err1 == nil && err2 == nil && len(plain) > 0 && (plain[0] == '[' || plain[0] == '{')
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 || (len(recs[0]) == 1 && recs[0][0] == "") {
		// (encoding/csv writes a lone empty field as a blank line, which a
		// reader skips: the next row would become the header.)
		return nil, nil, false
	}
	var pb, hb bytes.Buffer
	pw, hw := csv.NewWriter(&pb), csv.NewWriter(&hb)
	for n, rec := range recs {
		h := slices.Clone(rec)
		if n > 0 {
			for i := range h {
				// A blank value stays blank: a row of one blank field is a
				// blank line.
				if i < len(recs[0]) && isSecretKey(normalizeHeader(recs[0][i])) && strings.TrimSpace(h[i]) != "" {
					h[i] = strings.Repeat("x", len(h[i]))
				}
			}
		}
		if pw.Write(rec) != nil || hw.Write(h) != nil {
			return nil, nil, false
		}
	}
	pw.Flush()
	hw.Flush()
	plain, hidden = pb.Bytes(), hb.Bytes()
	// Written back, a file must still read as CSV (not start like JSON).
	t := bytes.TrimSpace(plain)
	return plain, hidden, len(t) > 0 && t[0] != '[' && t[0] != '{'
}

func maskJSON(key string, v any) any {
	switch x := v.(type) {
	case string:
		if isSecretKey(key) {
			return strings.Repeat("x", utf8.RuneCountInString(x))
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskJSON(key, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = maskJSON(k, e)
		}
		return out
	}
	return v
}

// roundTripUsers writes users as JSON and as CSV and reads both back: the
// same users, but for what the formats cannot carry or CSV normalises
// (surrounding spaces, "null", invalid UTF-8, carriage returns).
func roundTripUsers(t *testing.T, users []User) {
	t.Helper()
	norm := func(us []User) []User {
		out := make([]User, len(us))
		for i, u := range us {
			if len(u.TwoFactor) == 0 {
				u.TwoFactor = nil
			}
			out[i] = u
		}
		return out
	}
	b, err := json.Marshal(users)
	require.NoError(t, err)
	allUTF8 := true
	for _, u := range users {
		for _, s := range userStrings(u) {
			allUTF8 = allUTF8 && utf8.ValidString(s)
		}
	}
	if allUTF8 {
		back, err := parseUsers(b)
		require.NoError(t, err, "%s", b)
		require.Equal(t, norm(users), norm(back), "JSON round trip")
	}

	for _, u := range users {
		for _, s := range userStrings(u) {
			if strings.TrimSpace(s) != s || strings.ContainsRune(s, '\r') {
				return
			}
		}
		if strings.EqualFold(u.TOTPSecret, "null") || strings.EqualFold(u.Phone, "null") {
			return
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write([]string{"email", "password", "totpSecret", "phone", "twoFactor", "id", "username", "externalId"}))
	for _, u := range users {
		require.NoError(t, w.Write([]string{u.Email, u.Password, u.TOTPSecret, u.Phone, strings.Join(u.TwoFactor, ";"),
			strconv.FormatInt(u.ID, 10), u.Username, u.ExternalID}))
	}
	w.Flush()
	back, err := parseUsers(buf.Bytes())
	require.NoError(t, err, "%q", buf.String())
	require.Equal(t, norm(users), norm(back), "CSV round trip\n%q", buf.String())
}

func userStrings(u User) []string {
	return slices.Concat([]string{u.Email, u.Password, u.TOTPSecret, u.Phone, u.Username, u.ExternalID}, u.TwoFactor)
}
