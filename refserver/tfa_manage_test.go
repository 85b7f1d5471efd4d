package refserver

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

const terminate = `"workflow":"B2B\\TCA\\Wizards\\Workflow\\TerminateWorkflow"`

func TestTFAStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.login(h.client("sms"), "")
	bearer := bearerHdr(tok.AccessToken.Token)
	r := h.do("GET", "/api/v2/my/2fa", nil, bearer...)
	require.JSONEq(t, `{"total":2,"data":[{"caption":"SMS Confirmation","isEnabled":true,"name":"sms"},{"caption":"Google Authenticator","isEnabled":false,"name":"google"}]}`, string(r.body))
	r = h.do("GET", "/api/v2/my/2fa/google", nil, bearer...)
	require.JSONEq(t, `{"caption":"Google Authenticator","isEnabled":false,"name":"google"}`, string(r.body))
	r = h.do("GET", "/api/v2/my/2fa/sms", nil, bearer...)
	require.JSONEq(t, `{"caption":"SMS Confirmation","isEnabled":true,"name":"sms"}`, string(r.body))
	h.do("GET", "/api/v2/my/2fa/email", nil, bearer...).requireError(t, http.StatusNotFound)
	h.do("GET", "/api/v2/my/2fa/google", nil).requireError(t, http.StatusUnauthorized)
}

func TestTFAEnableDisableGoogle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")
	bearer := bearerHdr(tok.AccessToken.Token)

	h.do("GET", "/api/v2/my/2fa/google/disable/wizard", nil, bearer...).requireError(t, http.StatusConflict)
	r := h.do("GET", "/api/v2/my/2fa/google/enable/wizard", nil, bearer...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var w b2core.Wizard[b2core.EnableWizardData]
	r.decode(t, &w)
	require.Equal(t, 200, w.Code)
	require.False(t, w.Done)
	require.Equal(t, "2fa_google", w.Workflow)
	require.Regexp(t, uuidRE, w.UUID)
	require.Regexp(t, regexp.MustCompile(`^[A-Z2-7]{32}$`), w.Data.Key)
	key := w.Data.Key

	// Another client cannot use the wizard.
	other := h.login(h.client(), "")
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 0), Key: key}, bearerHdr(other.AccessToken.Token)...).requireError(t, http.StatusUnprocessableEntity)
	// Wrong key, wrong code, missing key.
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 0), Key: newTOTPSecret()}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 3), Key: key}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 0)}, bearer...).requireError(t, http.StatusUnprocessableEntity)

	r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 0), Key: key}, bearer...)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.JSONEq(t, `{"code":202,"data":[],"done":true,"uuid":"`+w.UUID+`",`+terminate+`}`, string(r.body))
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(key, 1), Key: key}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	h.do("GET", "/api/v2/my/2fa/google/enable/wizard", nil, bearer...).requireError(t, http.StatusConflict)

	// Sign-in now needs Google with the new key.
	c.TOTPSecret = &key
	tok2 := h.login(c, "google")
	require.NotEmpty(t, tok2.AccessToken.Token)

	// Disable.
	r = h.do("GET", "/api/v2/my/2fa/google/disable/wizard", nil, bearer...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var d b2core.RawWizard
	r.decode(t, &d)
	require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+d.UUID+`","workflow":"2fa_google"}`, string(r.body))
	// The code used at sign-in is a replay.
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "code", Code: h.totp(key, 0)}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	h.nextStep()
	r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "code", Code: h.totp(key, 0)}, bearer...)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.Contains(t, string(r.body), terminate)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)

	r = h.do("GET", "/api/v2/my/2fa/changes?sort_order=asc", nil, bearer...)
	var list b2core.List[b2core.TFAChange]
	r.decode(t, &list)
	require.Equal(t, 2, list.Total)
	require.Equal(t, "google", list.Data[0].Provider)
	require.True(t, list.Data[0].IsEnabled)
	require.False(t, list.Data[1].IsEnabled)
}

func TestTFAEnableDisableSMS(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")
	bearer := bearerHdr(tok.AccessToken.Token)

	r := h.do("GET", "/api/v2/my/2fa/sms/enable/wizard", nil, bearer...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var w b2core.RawWizard
	r.decode(t, &w)
	require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+w.UUID+`","workflow":"2fa_sms_phone_create"}`, string(r.body))

	// A code before the phone: the phone is required.
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: "123456"}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Phone: "5550100"}, bearer...).requireError(t, http.StatusUnprocessableEntity)

	const phone = "+15550100777"
	r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Phone: phone}, bearer...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var ps b2core.Wizard[b2core.PhoneStepData]
	r.decode(t, &ps)
	require.Equal(t, "phone", ps.Workflow)
	require.False(t, ps.Done)
	require.Equal(t, phone, ps.Data.Recipient.Phone)
	require.Equal(t, `B2B\TCA\Confirmations\Recipients\PhoneRecipient`, ps.Data.Recipient.Class)
	require.Equal(t, "phone", ps.Data.Recipient.Method)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, ps.Data.SentAt)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, ps.Data.ExpiredAt)

	code := h.code(phone)
	wrong := map[bool]string{true: "111111", false: "000000"}[code == "000000"]
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: wrong}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: code}, bearer...)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.JSONEq(t, `{"code":202,"data":[],"done":true,"uuid":"`+w.UUID+`",`+terminate+`}`, string(r.body))
	h.do("GET", "/api/v2/my/2fa/sms/enable/wizard", nil, bearer...).requireError(t, http.StatusConflict)

	// Sign-in needs the SMS code now.
	c.Phone = ptr(phone)
	require.NotEmpty(t, h.login(c, "sms").AccessToken.Token)

	// Disable: the wizard sends a code to the phone.
	r = h.do("GET", "/api/v2/my/2fa/sms/disable/wizard", nil, bearer...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var d b2core.RawWizard
	r.decode(t, &d)
	require.JSONEq(t, `{"code":200,"data":null,"done":false,"uuid":"`+d.UUID+`","workflow":"2fa_sms"}`, string(r.body))
	h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "verify", Code: h.code(phone)}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "code", Code: h.code(phone)}, bearer...)
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	h.do("GET", "/api/v2/my/2fa/sms/disable/wizard", nil, bearer...).requireError(t, http.StatusConflict)
	require.Equal(t, http.StatusAccepted, h.signin(h.wizard(), c.Email, c.Password).status)

	t.Run("err/phone-of-another-client", func(t *testing.T) {
		o := h.client("sms")
		r := h.do("GET", "/api/v2/my/2fa/sms/enable/wizard", nil, bearer...)
		var w b2core.RawWizard
		r.decode(t, &w)
		h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Phone: *o.Phone}, bearer...)
		h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.code(*o.Phone)}, bearer...).requireError(t, http.StatusUnprocessableEntity)
	})
	t.Run("err/wrong-codes-end-the-wizard", func(t *testing.T) {
		r := h.do("GET", "/api/v2/my/2fa/sms/enable/wizard", nil, bearer...)
		var w b2core.RawWizard
		r.decode(t, &w)
		h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Phone: "+15550100888"}, bearer...)
		right := h.code("+15550100888")
		wrong := map[bool]string{true: "111111", false: "000000"}[right == "000000"]
		for i := 0; i < 5; i++ {
			h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: wrong}, bearer...).requireError(t, http.StatusUnprocessableEntity)
		}
		e := h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: right}, bearer...).requireError(t, http.StatusUnprocessableEntity)
		require.Contains(t, e.Errors, "uuid")
	})

	r = h.do("GET", "/api/v2/my/2fa/changes?filter[provider]=sms", nil, bearer...)
	var list b2core.List[b2core.TFAChange]
	r.decode(t, &list)
	require.Equal(t, 2, list.Total)
	require.False(t, list.Data[0].IsEnabled, "newest first")
	require.True(t, list.Data[1].IsEnabled)
}

func ptr[T any](v T) *T { return &v }

// Re-enrolling Google with a new secret in the same 30-second step as the
// last accepted code is not a replay: the new secret's codes were never
// accepted. The old secret's used code stays dead.
func TestTFAReenrolGoogleSameStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	bearer := bearerHdr(h.login(c, "").AccessToken.Token)
	enable := func() string {
		var w b2core.Wizard[b2core.EnableWizardData]
		h.do("GET", "/api/v2/my/2fa/google/enable/wizard", nil, bearer...).decode(t, &w)
		r := h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(w.Data.Key, 0), Key: w.Data.Key}, bearer...)
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
		return w.Data.Key
	}
	disable := func(key string, skew int) response {
		var d b2core.RawWizard
		h.do("GET", "/api/v2/my/2fa/google/disable/wizard", nil, bearer...).decode(t, &d)
		return h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "code", Code: h.totp(key, skew)}, bearer...)
	}
	first := enable()
	// The code just used to enable is a replay; the next step's code is not.
	disable(first, 0).requireError(t, http.StatusUnprocessableEntity)
	require.Equal(t, http.StatusAccepted, disable(first, 1).status)
	// Same step, new secret: accepted.
	second := enable()
	require.NotEqual(t, first, second)
	// The second secret's enable code cannot be replayed either.
	disable(second, 0).requireError(t, http.StatusUnprocessableEntity)
}

// A whole second enrol-and-remove cycle fits in the same two steps as the
// first: each secret has its own replay state.
func TestTFAReenrolCycleSameStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bearer := bearerHdr(h.login(h.client(), "").AccessToken.Token)
	for i := range 2 {
		var w b2core.Wizard[b2core.EnableWizardData]
		h.do("GET", "/api/v2/my/2fa/google/enable/wizard", nil, bearer...).decode(t, &w)
		r := h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: w.UUID, Action: "code", Code: h.totp(w.Data.Key, 0), Key: w.Data.Key}, bearer...)
		require.Equal(t, http.StatusAccepted, r.status, "cycle %d enable: %s", i, r.body)
		var d b2core.RawWizard
		h.do("GET", "/api/v2/my/2fa/google/disable/wizard", nil, bearer...).decode(t, &d)
		r = h.do("POST", "/api/v2/my/2fa/wizard", b2core.TFAWizardRequest{UUID: d.UUID, Action: "code", Code: h.totp(w.Data.Key, 1)}, bearer...)
		require.Equal(t, http.StatusAccepted, r.status, "cycle %d disable: %s", i, r.body)
	}
}
