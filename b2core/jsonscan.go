package b2core

import "unicode/utf8"

// scanner reads a JSON document from the front, byte by byte, for the
// hand-written decoders of the answers a load test reads on every step
// (decode_fast.go). It is strict in one direction only: every method
// returns false on anything it does not read exactly as encoding/json
// would, and the caller then falls back to the reflective decoders, which
// handle (and word the errors of) everything. So it may refuse valid JSON
// (escapes in a string it returns, nulls where a decoder wants a value, a
// key that encoding/json would match case-insensitively), but it never
// accepts a document encoding/json refuses, and it never reads a value
// differently (FuzzFastDecodeAgrees holds it to that).
type scanner struct {
	b []byte
	i int
}

// maxSkipDepth bounds the nesting of a skipped value: deeper documents take
// the reflective path (encoding/json allows 10,000 levels).
const maxSkipDepth = 64

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// eat consumes c (after whitespace).
func (s *scanner) eat(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// literal consumes the word w (true, false, null).
func (s *scanner) literal(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// null consumes a null if one comes next.
func (s *scanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

// object reads an object, calling member for each key with the scanner
// placed on the member's value, which member must consume. Keys come back
// raw: a key with an escape or a byte outside ASCII is refused.
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		key, ok := s.rawString(true)
		if !ok || !s.eat(':') || !member(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem with the scanner placed on each
// element, which elem must consume.
func (s *scanner) array(elem func() bool) bool {
	if !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// plain marks the bytes a string returned by rawString may hold as they
// are: printable ASCII but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawString reads a string without escapes or control characters and
// returns its bytes; asciiOnly also refuses bytes outside ASCII, else
// they must be valid UTF-8 (encoding/json replaces invalid sequences).
func (s *scanner) rawString(asciiOnly bool) ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for s.i < len(s.b) {
		c := s.b[s.i]
		if plain[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !ascii && (asciiOnly || !utf8.Valid(raw)) {
				return nil, false
			}
			return raw, true
		case c >= utf8.RuneSelf:
			ascii = false
			s.i++
		default: // a backslash or a control character
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value into *dst; a null leaves *dst as it is.
func (s *scanner) str(dst *string) bool {
	if s.null() {
		return true
	}
	raw, ok := s.rawString(false)
	if ok {
		*dst = string(raw)
	}
	return ok
}

// boolean reads true or false into *dst; a null leaves *dst as it is.
func (s *scanner) boolean(dst *bool) bool {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return false
}

// smallInt reads a non-negative integer of at most 9 digits (a status
// code) into *dst. A sign, a fraction or an exponent is refused: an int
// field takes them differently, or not at all.
func (s *scanner) smallInt(dst *int) bool {
	s.ws()
	start, n := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 9 || (digits > 1 && s.b[start] == '0') {
		return false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	*dst = n
	return true
}

// raw reads any value and returns its bytes, as encoding/json gives them
// to a json.RawMessage.
func (s *scanner) raw() ([]byte, bool) {
	s.ws()
	start := s.i
	if !s.skip() {
		return nil, false
	}
	return s.b[start:s.i], true
}

// skip reads any value and validates it as encoding/json does.
func (s *scanner) skip() bool { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch s.peek() {
	case '{':
		return s.object(func([]byte) bool { return s.skipDepth(depth + 1) })
	case '[':
		return s.array(func() bool { return s.skipDepth(depth + 1) })
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.skipNumber()
	}
}

// skipString reads any valid string, escapes included.
func (s *scanner) skipString() bool {
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i >= len(s.b) {
				return false
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(s.b)-s.i < 4 {
					return false
				}
				for _, h := range s.b[s.i : s.i+4] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber reads a number by JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() bool {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

// field matches a key against a decoder's field names: the index of the
// one it equals, or -1 for a key the decoder ignores. ok is false for a key
// that equals a name but for case, which encoding/json would match
// case-insensitively: the scanner leaves that to it.
func field(key []byte, names ...string) (idx int, ok bool) {
	for i, n := range names {
		if string(key) == n {
			return i, true
		}
	}
	for _, n := range names {
		if asciiEqualFold(key, n) {
			return -1, false
		}
	}
	return -1, true
}

func asciiEqualFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if lx := x | 0x20; lx != y|0x20 || lx < 'a' || lx > 'z' {
			return false
		}
	}
	return true
}
