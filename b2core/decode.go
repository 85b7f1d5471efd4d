package b2core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// DecodeError says why an answer is not what the documents say. Reason is
// short and written by this package ("missing field token", "expected
// workflow 2fa_google_auth, got login"); Err, when set, is the decoder's
// error with every value of the answer left out.
type DecodeError struct {
	Reason string
	Err    error
}

func (e *DecodeError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *DecodeError) Unwrap() error { return e.Err }

func shapef(format string, args ...any) *DecodeError {
	return &DecodeError{Reason: fmt.Sprintf(format, args...)}
}

// unmarshal decodes JSON with encoding/json, tolerating the trailing commas
// of the vendor's own examples (the seeds README: a client must tolerate
// them), and turns decoder errors into a *DecodeError that holds no value
// of the answer. It is the one fallback of the hand-written decoders
// (decode_fast.go) and the one decoder of every other answer.
func unmarshal(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return &DecodeError{Reason: "empty body"}
	}
	err := json.Unmarshal(b, v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if fixed, ok := dropTrailingCommas(b); ok {
			if json.Unmarshal(fixed, v) == nil {
				return nil
			}
		}
	}
	return jsonError(err)
}

// jsonError rewrites a decoder error so that it names the place, never the
// value (a type error quotes numbers, which may be codes).
func jsonError(err error) error {
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &DecodeError{Reason: "invalid JSON", Err: fmt.Errorf("syntax error at offset %d", syn.Offset)}
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		got, _, _ := strings.Cut(ute.Value, " ")
		if k, ok := jsonValueKinds[got]; ok {
			got = k
		}
		field := ute.Field
		if field == "" {
			field = "(top level)"
		}
		return &DecodeError{Reason: "wrong shape", Err: fmt.Errorf("field %s: expected %s, got %s", field, jsonKind(ute.Type), got)}
	}
	if errors.Is(err, errUnexpectedEnd) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return &DecodeError{Reason: "invalid JSON", Err: errUnexpectedEnd}
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return de
	}
	return &DecodeError{Reason: "invalid JSON", Err: errors.New("cannot decode")}
}

var errUnexpectedEnd = errors.New("unexpected end of input")

// jsonValueKinds words the kinds encoding/json reports of a value.
var jsonValueKinds = map[string]string{"array": "an array", "object": "an object", "number": "a number",
	"string": "a string", "bool": "true or false"}

// jsonKind names the JSON kind a Go type decodes from, as the documents
// would: a string, a number, true or false, an object or an array.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}

// dropTrailingCommas removes commas that stand right before a closing } or ]
// outside strings. It reports whether it changed anything.
func dropTrailingCommas(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b))
	inString, escaped, changed := false, false, false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if inString {
			out = append(out, ch)
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		if ch == '"' {
			inString = true
		}
		if ch == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				changed = true
				continue
			}
		}
		out = append(out, ch)
	}
	return out, changed
}

// isEmptyData reports whether a `data` value carries nothing: absent, null,
// an empty array or an empty object (the documents use all of them).
func isEmptyData(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return true
	}
	if len(t) >= 2 && (t[0] == '[' && t[len(t)-1] == ']' || t[0] == '{' && t[len(t)-1] == '}') {
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	return false
}

// wizardFrame tells an absent field from a zero one.
type wizardFrame struct {
	Code     *int            `json:"code"`
	Data     json.RawMessage `json:"data"`
	Done     *bool           `json:"done"`
	UUID     *string         `json:"uuid"`
	Workflow *string         `json:"workflow"`
}

// DecodeWizard decodes a wizard answer. It requires `workflow` and `uuid`;
// `code` and `done` may be absent (0 and false). A `data` of null, [] or {}
// gives the zero D, whatever D is.
//
// The answers of the sign-in flow are read first by hand-written decoders
// (decode_fast.go); anything they do not take, and every other answer, is
// decoded by encoding/json alone (decodeWizardStdlib), which words the
// errors.
func DecodeWizard[D any](body []byte) (*Wizard[D], error) {
	if w, ok := decodeWizardFast[D](body); ok {
		return w, nil
	}
	return decodeWizardStdlib[D](body)
}

// decodeWizardStdlib is DecodeWizard by encoding/json alone: one pass when
// D allows it, else (or when that pass refuses the answer) the frame and
// then its data.
func decodeWizardStdlib[D any](body []byte) (*Wizard[D], error) {
	// Pointer data keep the frame path: there `{}` means no data (nil),
	// where one pass would make an empty value.
	if _, raw := any(new(D)).(*json.RawMessage); !raw && reflect.TypeFor[D]().Kind() != reflect.Pointer {
		if w, ok := decodeWizardOnePass[D](body); ok {
			return w, nil
		}
	}
	var f wizardFrame
	if err := unmarshal(body, &f); err != nil {
		return nil, err
	}
	if f.Workflow == nil {
		return nil, shapef("missing field workflow")
	}
	if f.UUID == nil {
		return nil, shapef("missing field uuid")
	}
	w := &Wizard[D]{Workflow: *f.Workflow, UUID: *f.UUID}
	if f.Code != nil {
		w.Code = *f.Code
	}
	if f.Done != nil {
		w.Done = *f.Done
	}
	if raw, ok := any(&w.Data).(*json.RawMessage); ok {
		*raw = f.Data
		return w, nil
	}
	if !isEmptyData(f.Data) {
		if err := jsonError(json.Unmarshal(f.Data, &w.Data)); err != nil {
			if de, ok := err.(*DecodeError); ok {
				return nil, &DecodeError{Reason: "wrong shape of data", Err: de.Err}
			}
			return nil, err
		}
	}
	return w, nil
}

// typedFrame is a wizard answer decoded in one pass, data included.
type typedFrame[D any] struct {
	Code     *int    `json:"code"`
	Data     *D      `json:"data"`
	Done     *bool   `json:"done"`
	UUID     *string `json:"uuid"`
	Workflow *string `json:"workflow"`
}

// decodeWizardOnePass decodes a well-formed answer in one encoding/json
// pass instead of the frame and then its data. Anything unusual (an error,
// data as [] on a terminate step, a missing field) reports false, and the
// frame path words the error.
func decodeWizardOnePass[D any](body []byte) (*Wizard[D], bool) {
	var f typedFrame[D]
	if json.Unmarshal(body, &f) != nil || f.Workflow == nil || f.UUID == nil {
		return nil, false
	}
	w := &Wizard[D]{Workflow: *f.Workflow, UUID: *f.UUID}
	if f.Code != nil {
		w.Code = *f.Code
	}
	if f.Done != nil {
		w.Done = *f.Done
	}
	if f.Data != nil {
		w.Data = *f.Data
	}
	return w, true
}

// DecodeTokens decodes a token pair (the answer of POST refresh) and
// requires both tokens.
func DecodeTokens(body []byte) (*Tokens, error) {
	var t Tokens
	if s := (&scanner{b: body}); !t.decodeFast(s) || !s.end() {
		t = Tokens{}
		if err := unmarshal(body, &t); err != nil {
			return nil, err
		}
	}
	if err := checkTokens(t.AccessToken, t.RefreshToken); err != nil {
		return nil, err
	}
	return &t, nil
}

func checkTokens(access, refresh *Token) error {
	switch {
	case access == nil:
		return shapef("missing field accessToken")
	case access.Token == "":
		return shapef("missing field accessToken.token")
	case refresh == nil:
		return shapef("missing field refreshToken")
	case refresh.Token == "":
		return shapef("missing field refreshToken.token")
	}
	return nil
}

// DecodeList decodes a list answer ({"total": n, "data": [...]}). It
// requires `data` (null is an empty list) and, in every item, the given
// fields (present and not null).
func DecodeList[T any](body []byte, required ...string) (*List[T], error) {
	var f struct {
		Total *int            `json:"total"`
		Data  json.RawMessage `json:"data"`
	}
	if err := unmarshal(body, &f); err != nil {
		return nil, err
	}
	if f.Data == nil {
		return nil, shapef("missing field data")
	}
	var items []json.RawMessage
	if err := jsonError(json.Unmarshal(f.Data, &items)); err != nil {
		return nil, &DecodeError{Reason: "wrong shape of data", Err: errors.Unwrap(err)}
	}
	l := &List[T]{Data: make([]T, 0, len(items))}
	if f.Total != nil {
		l.Total = *f.Total
	} else {
		l.Total = len(items)
	}
	for i, it := range items {
		v, err := DecodeObject[T](it, required...)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				de = &DecodeError{Reason: "wrong shape", Err: err}
			}
			return nil, &DecodeError{Reason: fmt.Sprintf("data[%d]: %s", i, de.Reason), Err: de.Err}
		}
		l.Data = append(l.Data, *v)
	}
	return l, nil
}

// DecodeObject decodes a JSON object into T and requires the given fields
// (present and not null).
func DecodeObject[T any](body []byte, required ...string) (*T, error) {
	var m map[string]json.RawMessage
	if err := unmarshal(body, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, shapef("not an object")
	}
	for _, k := range required {
		if v, ok := m[k]; !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return nil, shapef("missing field %s", k)
		}
	}
	var v T
	if err := unmarshal(body, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// DecodeChallenge decodes a 2FA challenge answer and requires its token,
// named `token` or `successToken`; both fields hold it on return.
func DecodeChallenge(body []byte) (*ChallengeResponse, error) {
	var c ChallengeResponse
	if err := unmarshal(body, &c); err != nil {
		return nil, err
	}
	tok := c.SuccessTokenValue()
	if tok == "" {
		return nil, shapef("missing field token")
	}
	c.Token, c.SuccessToken = tok, tok
	return &c, nil
}

// ---- what a step expects of a wizard answer ----

// wizardStage says whether a step's answer is an intermediary one (done
// false, code 200), a final one (done true, code 202), or either.
type wizardStage int

const (
	stageAny wizardStage = iota
	stageNext
	stageFinal
)

// expectWizard checks the workflow (one of want; none means any), done and
// code of an answer. A code of 0 means absent and is not checked.
func expectWizard(workflow string, done bool, code int, stage wizardStage, want ...string) error {
	if len(want) > 0 {
		ok := false
		for _, w := range want {
			ok = ok || workflow == w
		}
		if !ok {
			got := shortText(workflow)
			if got == "" {
				got = `""`
			}
			return shapef("expected workflow %s, got %s", strings.Join(want, " or "), got)
		}
	}
	switch stage {
	case stageNext:
		if done {
			return shapef("expected done false, got true")
		}
		if code != 0 && code != 200 {
			return shapef("expected code 200, got %d", code)
		}
	case stageFinal:
		if !done {
			return shapef("expected done true, got false")
		}
		if code != 0 && code != 202 {
			return shapef("expected code 202, got %d", code)
		}
	default:
		if code != 0 && code != 200 && code != 202 {
			return shapef("expected code 200 or 202, got %d", code)
		}
	}
	return nil
}
