package extension

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON user file is read as it streams in, one user at a time, straight
// into the packed set: the file and its parse are never held at once.
// Errors name the user and the field, never a value.

// jsonUsers decodes a JSON user file: an array of users, or an object
// whose only field "users" is one.
type jsonUsers struct {
	r   *bufio.Reader
	off int64  // bytes read
	raw []byte // a string's bytes before unescaping
	key []byte
}

func (j *jsonUsers) syntaxErr() error {
	return fmt.Errorf("not valid JSON: syntax error at byte %d", j.off)
}

func (j *jsonUsers) byte() (byte, error) {
	c, err := j.r.ReadByte()
	if err != nil {
		return 0, err
	}
	j.off++
	return c, nil
}

// token returns the next byte that is not white space.
func (j *jsonUsers) token() (byte, error) {
	for {
		c, err := j.byte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return c, nil
		}
	}
}

func (j *jsonUsers) unread() {
	_ = j.r.UnreadByte()
	j.off--
}

// decodeUsersJSON reads every user of r (its first byte '[' or '{') and
// hands each to add; n counts them.
func decodeUsersJSON(r *bufio.Reader, add func(n int, u *rawUser) error) error {
	j := &jsonUsers{r: r}
	c, err := j.token()
	if err != nil {
		return j.syntaxErr()
	}
	switch c {
	case '[':
		err = j.users(add)
	case '{':
		err = j.wrapper(add)
	default:
		return j.syntaxErr()
	}
	if err != nil {
		return err
	}
	if _, err := j.token(); !errors.Is(err, io.EOF) {
		return j.syntaxErr() // more after the value
	}
	return nil
}

// wrapper reads {"users": [...]} after its '{'.
func (j *jsonUsers) wrapper(add func(int, *rawUser) error) error {
	seen := false
	return j.members(func(key []byte) error {
		if !strings.EqualFold(string(key), "users") {
			return fmt.Errorf("unknown field %q at the top level (expected \"users\")", clip(key))
		}
		if seen {
			return errors.New(`"users" is given twice`)
		}
		seen = true
		c, err := j.token()
		if err != nil {
			return j.syntaxErr()
		}
		if c == 'n' {
			return j.literal("ull")
		}
		if c != '[' {
			return errors.New(`"users" must be an array of users`)
		}
		return j.users(add)
	})
}

// members reads the members of an object after its '{', calling member
// with each key, the reader just after its ':'.
func (j *jsonUsers) members(member func(key []byte) error) error {
	c, err := j.token()
	if err != nil {
		return j.syntaxErr()
	}
	if c == '}' {
		return nil
	}
	for {
		if c != '"' {
			return j.syntaxErr()
		}
		if j.key, err = j.str(j.key[:0]); err != nil {
			return err
		}
		if c, err = j.token(); err != nil || c != ':' {
			return j.syntaxErr()
		}
		if err := member(j.key); err != nil {
			return err
		}
		if c, err = j.token(); err != nil {
			return j.syntaxErr()
		}
		switch c {
		case '}':
			return nil
		case ',':
			if c, err = j.token(); err != nil {
				return j.syntaxErr()
			}
		default:
			return j.syntaxErr()
		}
	}
}

// users reads an array of users after its '['.
func (j *jsonUsers) users(add func(int, *rawUser) error) error {
	var u rawUser
	c, err := j.token()
	if err != nil {
		return j.syntaxErr()
	}
	if c == ']' {
		return nil
	}
	field := func(key []byte) error { return j.field(&u, key) } // made once
	for n := 1; ; n++ {
		if c != '{' {
			if c == '"' || c == '[' || c == 'n' || c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9') {
				return fmt.Errorf("user %d is not an object", n)
			}
			return j.syntaxErr()
		}
		u.reset()
		u.tf = tfGiven // absent: none
		if err := j.members(field); err != nil {
			return userErr(n, err)
		}
		if err := checkRaw(&u); err != nil {
			return fmt.Errorf("user %d: %w", n, err)
		}
		if err := add(n, &u); err != nil {
			return fmt.Errorf("user %d: %w", n, err)
		}
		if c, err = j.token(); err != nil {
			return j.syntaxErr()
		}
		switch c {
		case ']':
			return nil
		case ',':
			if c, err = j.token(); err != nil {
				return j.syntaxErr()
			}
		default:
			return j.syntaxErr()
		}
	}
}

// userErr prefixes an error about user n; a syntax error stays as it is.
func userErr(n int, err error) error {
	if strings.HasPrefix(err.Error(), "not valid JSON") {
		return err
	}
	return fmt.Errorf("user %d: %w", n, err)
}

// userFields are the JSON fields of a user, matched as encoding/json
// matches them (case folded).
var userFields = []string{"id", "email", "password", "totpSecret", "phone", "twoFactor", "username", "externalId"}

// field reads the value of one field of a user.
func (j *jsonUsers) field(u *rawUser, key []byte) error {
	name := ""
	for _, f := range userFields {
		if strings.EqualFold(string(key), f) {
			name = f
			break
		}
	}
	c, err := j.token()
	if err != nil {
		return j.syntaxErr()
	}
	switch name {
	case "":
		return fmt.Errorf("unknown field %q (expected %s)", clip(key), strings.Join(userFields, ", "))
	case "id":
		return j.id(u, c)
	case "twoFactor":
		return j.twoFactor(u, c)
	}
	f := 0
	for f < userTextFields && fieldNames[f] != name {
		f++
	}
	switch c {
	case '"':
		u.fields[f], err = j.str(u.fields[f][:0])
		return err
	case 'n':
		u.fields[f] = u.fields[f][:0]
		return j.literal("ull")
	}
	return j.wrongType(name, c)
}

// wrongType reports a value of the wrong type (or a syntax error where
// no value starts). The first error ends the decoding.
func (j *jsonUsers) wrongType(name string, c byte) error {
	if !isValueStart(c) {
		return j.syntaxErr()
	}
	return fmt.Errorf("field %q has the wrong type", name)
}

func isValueStart(c byte) bool {
	return c == '"' || c == '[' || c == '{' || c == 'n' || c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9')
}

// id reads a user's id: an integer, a string holding one, or null.
func (j *jsonUsers) id(u *rawUser, c byte) error {
	var err error
	switch {
	case c == 'n':
		u.id = 0
		return j.literal("ull")
	case c == '"':
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
	case c == '-' || (c >= '0' && c <= '9'):
		j.raw = append(j.raw[:0], c)
		for {
			d, err := j.byte()
			if err != nil {
				return j.syntaxErr()
			}
			if !(d >= '0' && d <= '9') && d != '.' && d != 'e' && d != 'E' && d != '+' && d != '-' {
				j.unread()
				break
			}
			j.raw = append(j.raw, d)
		}
	default:
		return j.wrongType("id", c)
	}
	if c != '"' && !isJSONNumber(j.raw) {
		return j.syntaxErr()
	}
	n, perr := strconv.ParseInt(string(j.raw), 10, 64)
	if perr != nil {
		return errors.New("id is not an integer")
	}
	u.id = n
	return nil
}

// isJSONNumber reports whether b is a number as JSON writes one:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(b []byte) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}

// twoFactor reads a user's twoFactor: an array of methods, one string
// ("google", "sms", "google+sms", "both", "none", or methods joined by ;
// | , or space), or null (none).
func (j *jsonUsers) twoFactor(u *rawUser, c byte) error {
	var err error
	u.tf = tfGiven
	switch c {
	case 'n':
		return j.literal("ull")
	case '"':
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
		tf, err := parseMethods(j.raw)
		u.tf = tf
		return err
	case '[':
	default:
		return j.wrongType("twoFactor", c)
	}
	if c, err = j.token(); err != nil {
		return j.syntaxErr()
	}
	if c == ']' {
		return nil
	}
	for {
		if c != '"' {
			if isValueStart(c) {
				return errors.New("twoFactor must be an array of strings")
			}
			return j.syntaxErr()
		}
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
		tf, err := parseMethods(j.raw)
		if err != nil {
			return err
		}
		u.tf |= tf
		if c, err = j.token(); err != nil {
			return j.syntaxErr()
		}
		switch c {
		case ']':
			return nil
		case ',':
			if c, err = j.token(); err != nil {
				return j.syntaxErr()
			}
		default:
			return j.syntaxErr()
		}
	}
}

// literal reads the rest of null, true or false.
func (j *jsonUsers) literal(rest string) error {
	for i := range len(rest) {
		c, err := j.byte()
		if err != nil || c != rest[i] {
			return j.syntaxErr()
		}
	}
	return nil
}

// str appends the string after its opening quote to dst, unescaped, as
// encoding/json reads it (invalid UTF-8 becomes U+FFFD).
func (j *jsonUsers) str(dst []byte) ([]byte, error) {
	start := len(dst)
	escaped := false
	for {
		part, err := j.r.ReadSlice('"')
		j.off += int64(len(part))
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return dst, j.syntaxErr()
		}
		dst = append(dst, part...)
		if err != nil {
			continue // no quote in a full buffer
		}
		// Is the quote escaped (an odd number of backslashes before it)?
		k := len(dst) - 2
		for k >= start && dst[k] == '\\' {
			k--
		}
		if (len(dst)-2-k)%2 == 1 {
			escaped = true
			continue
		}
		dst = dst[:len(dst)-1]
		break
	}
	for _, c := range dst[start:] {
		if c < 0x20 {
			return dst, j.syntaxErr()
		}
		if c == '\\' {
			escaped = true
		}
	}
	if escaped {
		out, ok := unescapeJSON(dst[start:], nil)
		if !ok {
			return dst, j.syntaxErr()
		}
		dst = append(dst[:start], out...)
	}
	if !utf8.Valid(dst[start:]) {
		dst = append(dst[:start], bytes.ToValidUTF8(dst[start:], []byte("\uFFFD"))...)
	}
	return dst, nil
}

// unescapeJSON appends the unescaped s to dst.
func unescapeJSON(s, dst []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, false
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, _ = hex4(s[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					i += 6
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// clip shortens a field name for a message.
func clip(b []byte) string {
	const most = 40
	if len(b) > most {
		return strings.ToValidUTF8(string(b[:most]), "") + "…"
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
