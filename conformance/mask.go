package conformance

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Evidence never carries a secret: passwords, codes, tokens, TOTP keys,
// Authorization and successToken header values are masked when an exchange
// is recorded, before anything reaches a report.

// masked is what replaces a secret.
const masked = "***"

// maxExcerpt bounds a body kept as evidence.
const maxExcerpt = 2048

// secretKeys are JSON members whose string values are secrets. `code` is a
// secret where it is a string (an OTP); the wizards' numeric step `code` is
// left alone because only string values are matched.
var secretKeys = []string{
	"password", "newPassword", "confirmPassword", "passwordConfirmation",
	"code", "token", "refreshToken", "accessToken", "successToken",
	"authorizationToken", "key", "totpSecret", "secret", "recaptchaResponse",
}

// secretMember matches `"key": "value"` for a secret key, in well-formed
// and malformed JSON alike.
var secretMember = regexp.MustCompile(`(?i)"(` + strings.Join(secretKeys, "|") + `)"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)

// maskBody masks a request or response body for evidence: secret members,
// then every known secret value wherever it appears, then cuts the result
// to an excerpt.
func maskBody(b []byte, secrets []string) string {
	if len(b) == 0 {
		return ""
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = secretMember.ReplaceAllString(s, `"$1"$2"`+masked+`"`)
	s = maskValues(s, secrets)
	return excerpt(s, maxExcerpt)
}

// maskValues replaces every known secret (6 characters or longer, longest
// first) in s.
func maskValues(s string, secrets []string) string {
	ss := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if len(v) >= 6 {
			ss = append(ss, v)
		}
	}
	slices.SortFunc(ss, func(a, b string) int { return len(b) - len(a) })
	for _, v := range ss {
		s = strings.ReplaceAll(s, v, masked)
	}
	return s
}

// excerpt cuts s to at most n bytes on a rune boundary, saying how much
// was left out.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes in all)", len(s))
}

// sensitiveHeaders are request headers whose values are masked.
var sensitiveHeaders = []string{"Authorization", "Successtoken", "Cookie", "X-Api-Key"}

// maskRequestHeader returns the request's own headers, secrets masked. An
// Authorization value keeps its scheme and the credential's length, which
// is what evidence of a malformed-Bearer check needs.
func maskRequestHeader(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		ck := http.CanonicalHeaderKey(k)
		if slices.Contains(sensitiveHeaders, ck) {
			v = maskCredential(ck, v)
		}
		out[ck] = v
	}
	return out
}

func maskCredential(name, v string) string {
	if v == "" {
		return "(empty)"
	}
	if name == "Authorization" {
		scheme, rest, ok := strings.Cut(v, " ")
		if !ok {
			if len(v) <= 8 { // "Bearer", "Basic": a scheme alone
				return v
			}
			return fmt.Sprintf("%s(%d chars)", masked, len(v))
		}
		if rest == "" {
			return scheme + " "
		}
		return fmt.Sprintf("%s %s(%d chars)", scheme, masked, len(rest))
	}
	return fmt.Sprintf("%s(%d chars)", masked, len(v))
}

// responseHeadersOfInterest are kept as evidence.
var responseHeadersOfInterest = []string{"Retry-After", "Content-Type", "Www-Authenticate", "Location"}

func pickResponseHeader(h http.Header) map[string]string {
	var out map[string]string
	for _, k := range responseHeadersOfInterest {
		if v := h.Values(k); len(v) > 0 {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}
