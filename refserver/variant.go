package refserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Server personalities. Where the seed documents and CONTRACT.md allow more
// than one answer, the default personality takes one and the alt
// personality takes another legal one, so that a client, a scenario or the
// conformance suite that passes against both has not learnt our server's
// choices by heart. Variants() lists every difference.
const (
	VariantDefault = "default"
	VariantAlt     = "alt"
)

// VariantInfo is one behaviour where the personalities differ.
type VariantInfo struct {
	Behaviour string
	Default   string
	Alt       string
}

var variantList = []VariantInfo{
	{"wrong email or password at sign-in (also an unknown email)", "401", "422, another message"},
	{"a missing or mistyped field, a field value outside its rules", "422", "400 \"The given data was invalid.\" with the same `errors`"},
	{"malformed JSON body", "400", "422"},
	{"wrong or expired SMS, email or TOTP code", "422", "400"},
	{"Sign In Wizard call at the wrong step", "409", "422"},
	{"unknown, expired or finished wizard uuid", "422", "400"},
	{"enabling an enabled 2FA method, disabling a disabled one", "409", "422"},
	{"unknown 2FA method in the path (2fa/{type})", "404", "400"},
	{"missing, used, expired or foreign success token", "403", "422"},
	{"invalid, used or revoked refresh token", "401", "400"},
	{"Capillary: wrong password, bad MFA token", "401", "400"},
	{"password change and restore succeed", "204, no body", "200, empty body"},
	{"sign-out succeeds", "200, no body", "200, body {}"},
	{"POST 2fa/challenge names the success token", "token", "successToken"},
	{"phone of a client made by POST /__hooks/clients", "only with sms", "every client (twoFactor still says what is enabled)"},
	{"phone of a load-test user (--users)", "only with sms", "every user (twoFactor still says what is enabled)"},
	{"order of tfaProviders and of GET 2fa", "sms, google", "google, sms"},
	{"name of SMS in GET 2fa (the documents spell it both ways)", "sms", "SMS"},
	{"HTTP status of a wizard's final answer (its body says code 202)", "202", "200"},
	{"accessToken and refreshToken at workflow 2fa", "{} (empty objects)", "null"},
	{"QR channel location", "null", "\"Loopback\""},
	{"done of a 2FA disable wizard's first answer (the code step follows)", "false", "true, as the documents' example shows"},
	{"data of the last 2FA wizard answer", "[]", "null"},
	{"history order without sort_order", "newest first", "oldest first"},
	{"timestamps (createdAt, expiresAt, time, ...)", "2022-01-01T00:00:00+00:00", "2022-01-01T00:00:00.000Z"},
	{"error messages (401, 429 and the above)", "one wording", "another wording; 429 keeps Retry-After in seconds"},
}

// Variants lists the behaviours where the personalities differ.
func Variants() []VariantInfo { return append([]VariantInfo(nil), variantList...) }

// ParseVariant checks a personality name; "" is the default.
func ParseVariant(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", VariantDefault:
		return VariantDefault, nil
	case VariantAlt:
		return VariantAlt, nil
	}
	return "", fmt.Errorf("unknown variant %q: want %s or %s", name, VariantDefault, VariantAlt)
}

// errKind names an error whose status or wording the personalities choose
// differently; kindNone errors answer the same in both.
type errKind uint8

const (
	kindNone errKind = iota
	kindField
	kindMalformed
	kindCode
	kindWrongStep
	kindUnknownWizard
	kindConflict
	kindUnknownMethod
	kindSuccessToken
	kindRefresh
	kindCredentials
	kindCapCredentials
	kindUnauthorized
	kindTooMany
)

// altAnswer is how the alt personality answers an error kind: status 0
// keeps the status, message "" keeps the message.
var altAnswer = map[errKind]struct {
	status  int
	message string
}{
	kindField:          {http.StatusBadRequest, "The given data was invalid."},
	kindMalformed:      {http.StatusUnprocessableEntity, "The request body is not valid JSON."},
	kindCode:           {http.StatusBadRequest, "Invalid verification code."},
	kindWrongStep:      {http.StatusUnprocessableEntity, "This step is not available now."},
	kindUnknownWizard:  {http.StatusBadRequest, "The session is not valid."},
	kindConflict:       {http.StatusUnprocessableEntity, "Nothing to change for this 2FA method."},
	kindUnknownMethod:  {http.StatusBadRequest, "Unsupported 2FA provider."},
	kindSuccessToken:   {http.StatusUnprocessableEntity, "The success token is not valid."},
	kindRefresh:        {http.StatusBadRequest, "The refresh token is not valid."},
	kindCredentials:    {http.StatusUnprocessableEntity, "The email or password is incorrect."},
	kindCapCredentials: {http.StatusBadRequest, "Invalid credentials."},
	kindUnauthorized:   {0, "Unauthenticated."},
	kindTooMany:        {0, "Too many attempts. Please try again later."},
}

// variantError is the error as this server's personality answers it.
func (s *Server) variantError(ae *apiError) *apiError {
	if !s.alt || ae.kind == kindNone {
		return ae
	}
	a, ok := altAnswer[ae.kind]
	if !ok {
		return ae
	}
	out := *ae
	if a.status != 0 {
		out.status = a.status
	}
	if a.message != "" {
		out.message = a.message
	}
	return &out
}

// withKind returns a copy of ae tagged with k.
func withKind(ae *apiError, k errKind) *apiError {
	out := *ae
	out.kind = k
	return &out
}

// tfaProviders is the tfaProviders list of a sign-in answer.
func (s *Server) tfaProviders(t tfaState) []b2core.TFAProvider {
	sms := b2core.TFAProvider{Name: b2core.ProviderSMS, LocalizedCaption: "SMS", Enabled: t.sms}
	google := b2core.TFAProvider{Name: b2core.ProviderGoogle, LocalizedCaption: "Google Authenticator", Enabled: t.google}
	if s.alt {
		return []b2core.TFAProvider{google, sms}
	}
	return []b2core.TFAProvider{sms, google}
}

// tfaList is the data of GET 2fa. The alt personality lists Google first
// and names SMS "SMS", one of the two spellings the documents give for this
// call's name field (GET 2fa/{type} spells it "sms" only).
func (s *Server) tfaList(t tfaState) []b2core.TFAStatus {
	if s.alt {
		sms := tfaStatus(b2core.ProviderSMS, t)
		sms.Name = "SMS"
		return []b2core.TFAStatus{tfaStatus(b2core.ProviderGoogle, t), sms}
	}
	return []b2core.TFAStatus{tfaStatus(b2core.ProviderSMS, t), tfaStatus(b2core.ProviderGoogle, t)}
}

// finalStatus is the HTTP status of a wizard's final answer, whose body
// says code 202: 202 as well, or (alt) 200. The documents give the code in
// the body and never the HTTP status of the answer.
func (s *Server) finalStatus() int {
	if s.alt {
		return http.StatusOK
	}
	return http.StatusAccepted
}

// pendingTokens are the accessToken and refreshToken of a workflow 2fa
// answer: empty objects, or (alt) null.
func (s *Server) pendingTokens() (access, refresh *b2core.Token) {
	if s.alt {
		return nil, nil
	}
	return &b2core.Token{}, &b2core.Token{}
}

// writeNoBody answers a success that documents no body: 204, or (alt) 200
// with an empty body.
func (s *Server) writeNoBody(w http.ResponseWriter) {
	if !s.alt {
		writeNoContent(w)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// writeSignedOut answers a sign-out: 200 with no body, or (alt) 200 {}.
func (s *Server) writeSignedOut(w http.ResponseWriter) {
	if s.alt {
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// successTokenAnswer is the JSON of a completed challenge.
func (s *Server) successTokenAnswer(token string, expires time.Time) any {
	if s.alt && !s.defects.wrongFieldType {
		return b2core.ChallengeResponse{SuccessToken: token, ExpiresAt: s.fmtTime(expires)}
	}
	return s.challengeAnswer(token, expires)
}

// qrLocation is the location of a QR channel.
func (s *Server) qrLocation() *string {
	if s.alt {
		loc := "Loopback"
		return &loc
	}
	return nil
}

// disableWizardDone is the done of a 2FA wizard's first answer: false, or
// (alt) true for a disable wizard, as the documents' example shows although
// the code step still follows.
func (s *Server) disableWizardDone(enable bool) bool { return s.alt && !enable }

// finalWizardData is the data of the last 2FA wizard answer: [] (as the
// documents show), or (alt) null.
func (s *Server) finalWizardData() any {
	if s.alt {
		return nil
	}
	return []any{}
}

// listDefaults applies the personality's defaults to a history query: the
// alt one lists oldest first when no sort_order is given.
func (s *Server) listDefaults(q url.Values, lq *listQuery) {
	if s.alt && q.Get("sort_order") == "" {
		lq.asc = true
	}
}

// altTimeLayout is RFC 3339 in UTC with milliseconds and Z.
const altTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// fmtTime formats a timestamp of an answer.
func (s *Server) fmtTime(t time.Time) string {
	if s.alt {
		return t.UTC().Format(altTimeLayout)
	}
	return fmtTime(t)
}

// everyPhone is the phone of a client made through the hooks: E.164,
// unique per id. SMS clients get one in both personalities, every client
// in the alt one.
func everyPhone(prefix string, id int64) string {
	return fmt.Sprintf("%s%09d", prefix, id)
}
