package b2core

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessage bounds the server message kept in a StepError reason.
const maxMessage = 120

// Mask is what MaskSecrets writes in place of a secret.
const Mask = "***"

var (
	// A run of 4 or more digits: a code, a PIN, an id worth hiding.
	digitRun = regexp.MustCompile(`\d{4,}`)
	// A long run of token characters (kept only if it holds no digit and
	// none of +/=$ and is under 32 long, as field names do): a JWT, a base32
	// secret, a UUID, a bcrypt hash.
	tokenRun = regexp.MustCompile(`[A-Za-z0-9._~+/=$-]{16,}`)
	// A word of 8 or more letters and digits mixing both: a password.
	mixedRun = regexp.MustCompile(`[A-Za-z0-9]{8,}`)
)

// MaskSecrets replaces in s every occurrence of the given values (each
// non-empty one), every run of 4 or more digits, every word of 8 or more
// letters and digits mixing both, and every token-like run of 16 or more
// characters (holding a digit or one of +/=$, or 32 long) with Mask.
func MaskSecrets(s string, secrets ...string) string {
	// Longest first, so that a secret containing another is masked whole.
	ss := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if v != "" {
			ss = append(ss, v)
		}
	}
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && len(ss[j]) > len(ss[j-1]); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	for _, v := range ss {
		s = strings.ReplaceAll(s, v, Mask)
	}
	s = tokenRun.ReplaceAllStringFunc(s, func(m string) string {
		if strings.ContainsAny(m, "0123456789+/=$") || len(m) >= 32 {
			return Mask
		}
		return m
	})
	s = mixedRun.ReplaceAllStringFunc(s, func(m string) string {
		if strings.ContainsAny(m, "0123456789") && strings.Trim(m, "0123456789") != "" {
			return Mask
		}
		return m
	})
	return digitRun.ReplaceAllString(s, Mask)
}

// serverMessage returns the `message` of an error body with its field
// `errors` (CONTRACT.md: {"code", "message", "errors": {...}}), masked, or
// "" when there is neither or they are too long to be a short explanation.
func serverMessage(body []byte, secrets []string) string {
	var eb struct {
		Message json.RawMessage `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return ""
	}
	var msg string
	if json.Unmarshal(eb.Message, &msg) == nil {
		msg = shortText(msg, secrets...)
	}
	fe := fieldErrors(eb.Errors, secrets)
	switch {
	case fe == "":
		return msg
	case msg == "":
		return fe
	}
	return msg + " (" + fe + ")"
}

// fieldErrors words a body's `errors` object as "field: message; ...", in
// field order, each part masked; a field whose message is not a string or
// a list of strings is named alone. "" when there is none.
func fieldErrors(raw json.RawMessage, secrets []string) string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		var one string
		var list []string
		text := ""
		switch {
		case json.Unmarshal(m[k], &one) == nil:
			text = one
		case json.Unmarshal(m[k], &list) == nil:
			text = strings.Join(list, ", ")
		}
		part := shortText(k+": "+text, secrets...)
		if text == "" {
			part = shortText(k, secrets...)
		}
		if part != "" {
			parts = append(parts, part)
		}
	}
	s := strings.Join(parts, "; ")
	if utf8.RuneCountInString(s) > 2*maxMessage {
		return ""
	}
	return s
}

// SafeMessage returns a server's message fit for a StepError reason: every
// value req carried (body strings, query values, headers) and every given
// secret masked, code- and token-like runs masked (MaskSecrets), control
// characters dropped; "" if the result is empty or too long to be short.
func SafeMessage(req *Request, msg string, secrets ...string) string {
	if req != nil {
		secrets = append(requestValues(req), secrets...)
	}
	return shortText(msg, secrets...)
}

// shortText masks s, drops control characters, and returns "" if the result
// is empty or longer than maxMessage.
func shortText(s string, secrets ...string) string {
	if len(s) > 4*maxMessage {
		return ""
	}
	s = MaskSecrets(s, secrets...)
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > maxMessage {
		return ""
	}
	return s
}

// requestValues lists the values a request carried (every string in its
// JSON body, its query values, its header values and the bearer token), so
// that a server echoing one back never gets it into a reason.
func requestValues(req *Request) []string {
	var vs []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 3 {
			vs = append(vs, v)
		}
	}
	for _, hv := range req.Header {
		for _, v := range hv {
			add(v)
			if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
				add(tok)
			}
		}
	}
	if i := strings.IndexByte(req.Path, '?'); i >= 0 {
		if q, err := url.ParseQuery(req.Path[i+1:]); err == nil {
			for _, qv := range q {
				for _, v := range qv {
					add(v)
				}
			}
		}
	}
	if len(req.Body) > 0 {
		var body any
		if json.Unmarshal(req.Body, &body) == nil {
			walkStrings(body, add)
		}
	}
	return vs
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}
