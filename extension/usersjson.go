package extension

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// A JSON user file is read as it streams in, one user at a time, straight
// into the packed set: the file and its parse are never held at once.
// jsontext's streaming decoder checks the syntax; this reads the users'
// fields. Errors name the user and the field, never a value.

// jsonUserReader decodes a JSON user file: an array of users, or an
// object whose only field "users" is one.
type jsonUserReader struct {
	d   *jsontext.Decoder
	raw []byte // an id or a twoFactor string, unquoted
	key []byte
}

// decodeUsersJSON reads every user of r (its first byte '[' or '{') and
// hands each to add; n counts them.
func decodeUsersJSON(r io.Reader, add func(n int, u *rawUser) error) error {
	// As encoding/json: a name may repeat, invalid UTF-8 becomes U+FFFD.
	j := &jsonUserReader{d: jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))}
	tok, err := j.d.ReadToken()
	if err != nil {
		return j.syntaxErr(err)
	}
	switch tok.Kind() {
	case '[':
		err = j.users(add)
	case '{':
		err = j.wrapper(add)
	default:
		return j.syntaxErr(nil)
	}
	if err != nil {
		return err
	}
	if _, err := j.d.ReadToken(); !errors.Is(err, io.EOF) {
		return j.syntaxErr(err) // more after the value
	}
	return nil
}

// fileError is an error of the file as a whole (its syntax, or reading
// it), not of one user.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// syntaxErr reports a syntax error at its byte: err from the decoder, or
// nil where the decoder read a value the file may not have there (one
// after the users). A failed read stays a failed read.
func (j *jsonUserReader) syntaxErr(err error) error {
	off := j.d.InputOffset()
	var se *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		off = se.ByteOffset
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the reader's own words, without jsontext's prefix
		}
		return &fileError{fmt.Errorf("reading: %w", err)}
	}
	return &fileError{fmt.Errorf("not valid JSON: syntax error at byte %d", off)}
}

// str appends the next value, a string the decoder has checked, to dst,
// unquoted.
func (j *jsonUserReader) str(dst []byte) ([]byte, error) {
	v, err := j.d.ReadValue()
	if err != nil {
		return dst, j.syntaxErr(err)
	}
	// Checked already: the only error left is invalid UTF-8, which
	// AppendUnquote has replaced with U+FFFD.
	dst, _ = jsontext.AppendUnquote(dst, v)
	return dst, nil
}

// skip reads the next value (a null, or a value the decoder refuses).
func (j *jsonUserReader) skip() error {
	if _, err := j.d.ReadValue(); err != nil {
		return j.syntaxErr(err)
	}
	return nil
}

// isValueKind reports whether PeekKind saw the start of a value (it
// reports any other byte as it is, or 0 on an error).
func isValueKind(k jsontext.Kind) bool {
	switch k {
	case 'n', 't', 'f', '"', '0', '{', '[':
		return true
	}
	return false
}

// delim reads the next delimiter, one PeekKind has seen.
func (j *jsonUserReader) delim() error {
	if _, err := j.d.ReadToken(); err != nil {
		return j.syntaxErr(err)
	}
	return nil
}

// wrapper reads {"users": [...]} after its '{'.
func (j *jsonUserReader) wrapper(add func(int, *rawUser) error) error {
	seen := false
	return j.members(func(key []byte) error {
		if !strings.EqualFold(string(key), "users") {
			return fmt.Errorf("unknown field %q at the top level (expected \"users\")", clip(key))
		}
		if seen {
			return errors.New(`"users" is given twice`)
		}
		seen = true
		switch kind := j.d.PeekKind(); {
		case kind == 'n' || !isValueKind(kind):
			return j.skip()
		case kind == '[':
			if err := j.delim(); err != nil { // reads the '['
				return err
			}
			return j.users(add)
		}
		return errors.New(`"users" must be an array of users`)
	})
}

// members reads the members of an object after its '{', calling member
// with each name, the decoder just before its value.
func (j *jsonUserReader) members(member func(key []byte) error) error {
	for {
		if j.d.PeekKind() == '}' {
			return j.delim()
		}
		var err error
		if j.key, err = j.str(j.key[:0]); err != nil {
			return err
		}
		if err := member(j.key); err != nil {
			return err
		}
	}
}

// users reads an array of users after its '['.
func (j *jsonUserReader) users(add func(int, *rawUser) error) error {
	var u rawUser
	field := func(key []byte) error { return j.field(&u, key) } // made once
	for n := 1; ; n++ {
		switch kind := j.d.PeekKind(); {
		case kind == ']':
			return j.delim()
		case !isValueKind(kind):
			return j.skip()
		case kind != '{':
			return fmt.Errorf("user %d is not an object", n)
		}
		if err := j.delim(); err != nil { // reads the '{'
			return err
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
	}
}

// field reads the value of one field of a user.
func (j *jsonUserReader) field(u *rawUser, key []byte) error {
	name := ""
	for _, f := range userFields {
		if strings.EqualFold(string(key), f) {
			name = f
			break
		}
	}
	kind := j.d.PeekKind()
	switch {
	case !isValueKind(kind):
		return j.skip()
	case name == "":
		return fmt.Errorf("unknown field %q (expected %s)", clip(key), strings.Join(userFields, ", "))
	case name == "id":
		return j.id(u, kind)
	case name == "twoFactor":
		return j.twoFactor(u, kind)
	}
	f := 0
	for f < userTextFields && fieldNames[f] != name {
		f++
	}
	var err error
	switch kind {
	case '"':
		u.fields[f], err = j.str(u.fields[f][:0])
		return err
	case 'n':
		u.fields[f] = u.fields[f][:0]
		return j.skip()
	}
	return fmt.Errorf("field %q has the wrong type", name)
}

// id reads a user's id: an integer, a string holding one, or null.
func (j *jsonUserReader) id(u *rawUser, kind jsontext.Kind) error {
	switch kind {
	case 'n':
		u.id = 0
		return j.skip()
	case '"':
		var err error
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
	case '0':
		v, err := j.d.ReadValue()
		if err != nil {
			return j.syntaxErr(err)
		}
		j.raw = append(j.raw[:0], v...)
	default:
		return errors.New(`field "id" has the wrong type`)
	}
	n, err := strconv.ParseInt(string(j.raw), 10, 64)
	if err != nil {
		return errors.New("id is not an integer")
	}
	u.id = n
	return nil
}

// twoFactor reads a user's twoFactor: an array of methods, one string
// ("google", "sms", "google+sms", "both", "none", or methods joined by ;
// | , or space), or null (none).
func (j *jsonUserReader) twoFactor(u *rawUser, kind jsontext.Kind) error {
	var err error
	u.tf = tfGiven
	switch kind {
	case 'n':
		return j.skip()
	case '"':
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
		tf, err := parseMethods(j.raw)
		u.tf = tf
		return err
	case '[':
		if err := j.delim(); err != nil { // reads the '['
			return err
		}
	default:
		return errors.New(`field "twoFactor" has the wrong type`)
	}
	for {
		switch kind := j.d.PeekKind(); {
		case kind == ']':
			return j.delim()
		case !isValueKind(kind):
			return j.skip()
		case kind != '"':
			return errors.New("twoFactor must be an array of strings")
		}
		if j.raw, err = j.str(j.raw[:0]); err != nil {
			return err
		}
		tf, err := parseMethods(j.raw)
		if err != nil {
			return err
		}
		u.tf |= tf
	}
}

// userErr prefixes an error about user n; an error of the file (its
// syntax, reading it) stays as it is.
func userErr(n int, err error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("user %d: %w", n, err)
}

// userFields are the JSON fields of a user, matched as encoding/json
// matches them (case folded).
var userFields = []string{"id", "email", "password", "totpSecret", "phone", "twoFactor", "username", "externalId"}

// clip shortens a field name for a message.
func clip(b []byte) string {
	const most = 40
	if len(b) > most {
		return strings.ToValidUTF8(string(b[:most]), "") + "…"
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
