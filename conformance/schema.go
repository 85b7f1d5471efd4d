package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The suite reads answers as generic JSON (numbers kept as json.Number) and
// checks them against a small schema of field path → kind, so that a field
// of the wrong type is detected and named, which unmarshalling into structs
// would hide or turn into an opaque error.

// parseJSON decodes one JSON value; trailing data is an error.
func parseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// Kind is a set of JSON kinds a field may have.
type Kind uint16

// Kinds. KInt is a number without fraction or exponent; KTime is a string
// holding an RFC 3339 date-time.
const (
	KString Kind = 1 << iota
	KInt
	KNumber
	KBool
	KObject
	KArray
	KNull
	KTime
)

var kindNames = []struct {
	k    Kind
	name string
}{
	{KString, "string"}, {KInt, "integer"}, {KNumber, "number"}, {KBool, "boolean"},
	{KObject, "object"}, {KArray, "array"}, {KNull, "null"}, {KTime, "RFC 3339 date-time string"},
}

func (k Kind) String() string {
	var parts []string
	for _, kn := range kindNames {
		if k&kn.k != 0 {
			parts = append(parts, kn.name)
		}
	}
	return strings.Join(parts, " or ")
}

// kindOf names the kind of a decoded JSON value.
func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if isInt(x) {
			return "integer"
		}
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func isInt(n json.Number) bool {
	_, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil
}

// matches reports whether v is of one of the kinds in k.
func (k Kind) matches(v any) bool {
	switch x := v.(type) {
	case nil:
		return k&KNull != 0
	case string:
		if k&KString != 0 {
			return true
		}
		if k&KTime != 0 {
			_, err := time.Parse(time.RFC3339Nano, x)
			return err == nil
		}
		return false
	case bool:
		return k&KBool != 0
	case json.Number:
		if k&KNumber != 0 {
			return true
		}
		return k&KInt != 0 && isInt(x)
	case map[string]any:
		return k&KObject != 0
	case []any:
		return k&KArray != 0
	}
	return false
}

// Field is one schema entry. Path is dotted ("data.accessToken.token");
// a segment ending in [] stands for every element of that array
// ("data.tfaProviders[].name"); "" is the root value.
type Field struct {
	Path     string
	Kinds    Kind
	Enum     []string // allowed string values, when set
	Optional bool     // may be absent (it must still have the kind if present)
}

// Schema is a list of fields an answer must have.
type Schema []Field

// f is a required field.
func f(path string, k Kind) Field { return Field{Path: path, Kinds: k} }

// fOpt is an optional field.
func fOpt(path string, k Kind) Field { return Field{Path: path, Kinds: k, Optional: true} }

// fEnum is a required string field with a closed set of values.
func fEnum(path string, values ...string) Field {
	return Field{Path: path, Kinds: KString, Enum: values}
}

// Prefix returns the schema with every path below prefix.
func (s Schema) Prefix(prefix string) Schema {
	out := make(Schema, len(s))
	for i, fl := range s {
		fl.Path = joinPath(prefix, fl.Path)
		out[i] = fl
	}
	return out
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// located is a value found at a concrete path, or where the walk stopped.
type located struct {
	path  string // the field's concrete path
	value any
	found bool
	// missingAt is the path that is missing (the field's own path, or an
	// ancestor's); parentKind is set when that path's parent is not an
	// object (null, say).
	missingAt  string
	parentKind string
}

// resolve walks path in v. Array wildcards fan out; an absent array or one
// of another kind yields nothing (the array field itself is checked by its
// own entry).
func resolve(v any, path string) []located {
	if path == "" {
		return []located{{path: "(root)", value: v, found: true}}
	}
	segs := strings.Split(path, ".")
	cur := []located{{path: "", value: v, found: true}}
	for i, seg := range segs {
		wild := strings.HasSuffix(seg, "[]")
		name := strings.TrimSuffix(seg, "[]")
		rest := strings.Join(segs[i+1:], ".")
		var next []located
		for _, l := range cur {
			if !l.found {
				next = append(next, l)
				continue
			}
			p := joinPath(l.path, name)
			full := joinPath(p, rest)
			if wild {
				full = joinPath(p+"[]", rest)
			}
			obj, ok := l.value.(map[string]any)
			if !ok {
				if !wild {
					next = append(next, located{path: full, missingAt: p, parentKind: kindOf(l.value)})
				}
				continue
			}
			child, ok := obj[name]
			if !ok {
				if !wild {
					next = append(next, located{path: full, missingAt: p})
				}
				continue
			}
			if !wild {
				next = append(next, located{path: p, value: child, found: true})
				continue
			}
			arr, ok := child.([]any)
			if !ok {
				continue // reported by the array's own entry
			}
			for i, e := range arr {
				next = append(next, located{path: fmt.Sprintf("%s[%d]", p, i), value: e, found: true})
			}
		}
		cur = next
	}
	return cur
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// Check returns one line per violation, naming the field, what was
// expected and what came: "data.total: want integer, got string "2"". A
// missing or mistyped parent is reported once, not once per child.
func (s Schema) Check(v any) []string {
	var out []string
	bad := map[string]bool{} // paths already reported
	for _, fl := range s {
		for _, l := range resolve(v, fl.Path) {
			if !l.found {
				if fl.Optional || bad[l.missingAt] || bad[parentOf(l.missingAt)] {
					continue
				}
				bad[l.missingAt] = true
				want := fl.Kinds.String()
				if l.missingAt != l.path {
					want = "an object holding " + l.path
				}
				if l.parentKind != "" {
					out = append(out, fmt.Sprintf("%s: missing (want %s; the parent is %s)", l.missingAt, want, l.parentKind))
				} else {
					out = append(out, fmt.Sprintf("%s: missing (want %s)", l.missingAt, want))
				}
				continue
			}
			if !fl.Kinds.matches(l.value) {
				bad[l.path] = true
				out = append(out, fmt.Sprintf("%s: want %s, got %s %s", l.path, fl.Kinds, kindOf(l.value), excerptValue(l.value)))
				continue
			}
			if len(fl.Enum) > 0 {
				if str, ok := l.value.(string); ok && !slices.Contains(fl.Enum, str) {
					out = append(out, fmt.Sprintf("%s: %q is not one of %s", l.path, str, strings.Join(quoteAll(fl.Enum), ", ")))
				}
			}
		}
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// excerptValue shows a short value for a violation message. Strings are
// shown only when short: a long one is likely a token.
func excerptValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 24 {
			return fmt.Sprintf("(%d chars)", len(x))
		}
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case map[string]any:
		return fmt.Sprintf("(%d keys)", len(x))
	case []any:
		return fmt.Sprintf("(%d elements)", len(x))
	}
	return ""
}

// ---- lenient getters, for steps that only need a value ----

// jget returns the value at a dotted path with [i] indexes ("data.x[0].y").
func jget(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, -1
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			n, err := strconv.Atoi(seg[i+1 : len(seg)-1])
			if err != nil {
				return nil, false
			}
			name, idx = seg[:i], n
		}
		if name != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[name]; !ok {
				return nil, false
			}
		}
		if idx >= 0 {
			arr, ok := v.([]any)
			if !ok || idx >= len(arr) {
				return nil, false
			}
			v = arr[idx]
		}
	}
	return v, true
}

// jstr returns the value at path as a string: a string, or a number's text
// (lenient: a setup step must not break on a type slip a shape check
// reports on its own).
func jstr(v any, path string) string {
	x, _ := jget(v, path)
	switch s := x.(type) {
	case string:
		return s
	case json.Number:
		return string(s)
	}
	return ""
}

// jint returns the value at path as an integer (a number or a numeric
// string), and whether it was one.
func jint(v any, path string) (int64, bool) {
	x, _ := jget(v, path)
	switch n := x.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != float64(int64(f)) {
				return 0, false
			}
			return int64(f), true
		}
		return i, true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// jbool returns the value at path as a boolean (true, or the string "true").
func jbool(v any, path string) (bool, bool) {
	x, _ := jget(v, path)
	switch b := x.(type) {
	case bool:
		return b, true
	case string:
		bb, err := strconv.ParseBool(b)
		return bb, err == nil
	}
	return false, false
}

// jarr returns the array at path.
func jarr(v any, path string) []any {
	x, _ := jget(v, path)
	a, _ := x.([]any)
	return a
}

// jshape returns the shape of a value: each path → kind, recursively
// (arrays by their first element), for comparing two answers' shapes.
func jshape(v any) map[string]string {
	out := map[string]string{}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		out[p] = kindOf(v)
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(joinPath(p, k), c)
			}
		case []any:
			if len(x) > 0 {
				walk(p+"[]", x[0])
			}
		}
	}
	walk("", v)
	return out
}
