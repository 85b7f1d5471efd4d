package refserver

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// usersWriter writes a users file one user at a time, to a temporary file
// renamed into place by finish (so that a reader never sees half a file).
type usersWriter struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	csv  *csv.Writer // nil: JSON
	n    int
	buf  []byte
}

func createUsersFile(path string) (*usersWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	w := &usersWriter{path: path, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		w.csv = csv.NewWriter(w.bw)
		if err := w.csv.Write([]string{"email", "password", "totpSecret", "phone", "twoFactor", "id"}); err != nil {
			w.abort()
			return nil, fmt.Errorf("users file: %w", err)
		}
	} else if err := w.bw.WriteByte('['); err != nil {
		w.abort()
		return nil, fmt.Errorf("users file: %w", err)
	}
	return w, nil
}

func (w *usersWriter) add(u *LoadUser) error {
	var err error
	if w.csv != nil {
		err = w.csv.Write([]string{u.Email, u.Password, deref(u.TOTPSecret), deref(u.Phone),
			strings.Join(u.TwoFactor, "|"), strconv.FormatInt(u.ID, 10)})
	} else {
		b := w.buf[:0]
		if w.n > 0 {
			b = append(b, ',')
		}
		w.buf = appendLoadUser(b, u)
		_, err = w.bw.Write(w.buf)
	}
	w.n++
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// finish completes the file and renames it into place (no fsync: the
// rename is what readers on this machine need, and a test file need not
// outlive a crash).
func (w *usersWriter) finish() error {
	var err error
	if w.csv != nil {
		w.csv.Flush()
		err = w.csv.Error()
	} else {
		_, err = w.bw.WriteString("]\n")
	}
	for _, step := range []func() error{
		func() error { return err },
		w.bw.Flush,
		w.f.Close,
		func() error { return os.Chmod(w.f.Name(), 0o600) },
		func() error { return os.Rename(w.f.Name(), w.path) },
	} {
		if err := step(); err != nil {
			w.abort()
			return fmt.Errorf("users file: %w", err)
		}
	}
	return nil
}

// abort removes the temporary file.
func (w *usersWriter) abort() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

// appendLoadUser appends u as encoding/json writes a LoadUser.
func appendLoadUser(b []byte, u *LoadUser) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, u.ID, 10)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"password":`...)
	b = appendJSONString(b, u.Password)
	b = append(b, `,"totpSecret":`...)
	b = appendNullable(b, u.TOTPSecret)
	b = append(b, `,"phone":`...)
	b = appendNullable(b, u.Phone)
	b = append(b, `,"twoFactor":`...)
	if u.TwoFactor == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, m := range u.TwoFactor {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m)
		}
		b = append(b, ']')
	}
	b = append(b, `,"username":`...)
	b = appendJSONString(b, u.Username)
	b = append(b, `,"externalId":`...)
	b = appendJSONString(b, u.ExternalID)
	return append(b, '}')
}

func appendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s as encoding/json writes a string (HTML
// characters, U+2028 and U+2029 escaped; invalid UTF-8 as U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
