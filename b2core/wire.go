// Package b2core is a client for the B2Core client API v2 authentication calls:
// the Sign In Wizard, tokens, 2FA, password change and restore, and their
// histories. It holds the wire types (shared with the reference server), the
// single steps, the whole flows built from them, TOTP and the sources of
// SMS and email codes. It knows nothing of k6 or JavaScript: the k6 extension
// and the conformance suite both drive it through a Transport.
package b2core

import (
	"encoding/json"
	"strings"
	"time"
)

// APIPrefix is where the B2Core client API v2 lives below the host.
const APIPrefix = "/api/v2/my"

// TimeLayout is the documents' timestamp form ("2022-01-01T00:00:00+00:00").
// Clients parse any RFC 3339 time; servers write this one.
const TimeLayout = "2006-01-02T15:04:05-07:00"

// Workflow values named by the documents. The wizard response's `workflow`
// says what the client must do next.
const (
	WorkflowLogin              = "login"
	Workflow2FA                = "2fa"
	Workflow2FAGoogleAuth      = "2fa_google_auth"
	Workflow2FASMSAuth         = "2fa_sms_auth"
	WorkflowResetPasswordEmail = "reset_password_email"
	WorkflowResetPassword      = "reset_password"
	Workflow2FAGoogle          = "2fa_google"
	Workflow2FASMS             = "2fa_sms"
	Workflow2FASMSPhoneCreate  = "2fa_sms_phone_create"
	WorkflowPhone              = "phone"
	// WorkflowTerminate ends the 2FA enable and disable wizards.
	WorkflowTerminate = `B2B\TCA\Wizards\Workflow\TerminateWorkflow`
)

// 2FA provider names.
const (
	ProviderGoogle = "google"
	ProviderSMS    = "sms"
)

// Password change types in the password history (CONTRACT.md).
const (
	PasswordChanged  = "changed"
	PasswordRestored = "restored"
)

// Wizard is the frame of every wizard answer: sign-in, 2FA at sign-in, the
// Sign In page reset and the 2FA enable/disable wizards. Code is 200 for an
// intermediary step and 202 for the final one.
type Wizard[D any] struct {
	Code     int    `json:"code"`
	Data     D      `json:"data"`
	Done     bool   `json:"done"`
	UUID     string `json:"uuid"`
	Workflow string `json:"workflow"`
}

// RawWizard keeps Data undecoded until the workflow says what it holds.
type RawWizard = Wizard[json.RawMessage]

// WizardInitData is the data of GET signin/wizard.
type WizardInitData struct {
	Recaptcha                   Recaptcha `json:"recaptcha"`
	IsQRAvailable               bool      `json:"is_qr_available"`
	IsPasswordRecoveryAvailable bool      `json:"is_password_recovery_available"`
}

// Recaptcha says whether the Sign In page shows reCAPTCHA.
type Recaptcha struct {
	Enabled bool `json:"enabled"`
}

// SignInRequest is the body of POST signin.
type SignInRequest struct {
	UUID              string `json:"uuid"`
	Email             string `json:"email"`
	Password          string `json:"password"`
	DeviceFingerprint string `json:"device_fingerprint"`
	RecaptchaResponse string `json:"recaptchaResponse,omitempty"`
}

// Token is an access or refresh token. At the `2fa` step the documents show
// the tokens as empty objects, hence omitempty.
type Token struct {
	Token     string `json:"token,omitempty"`
	CreatedAt string `json:"createdAt,omitempty"`
	ExpiresAt string `json:"expiresAt,omitempty"`
}

// Tokens is a token pair: the data of a final sign-in step and the answer
// of POST refresh.
type Tokens struct {
	AccessToken  *Token `json:"accessToken"`
	RefreshToken *Token `json:"refreshToken"`
}

// TFAProvider is one entry of tfaProviders in the sign-in answer.
type TFAProvider struct {
	Name             string `json:"name"`
	LocalizedCaption string `json:"localizedCaption"`
	Enabled          bool   `json:"enabled"`
}

// SignInData is the data of POST signin.
type SignInData struct {
	AccessToken  *Token        `json:"accessToken"`
	RefreshToken *Token        `json:"refreshToken"`
	TFAProviders []TFAProvider `json:"tfaProviders"`
}

// RefreshRequest is the body of POST refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// SignIn2FARequest is the body of POST signin/2fa (choose the 2FA method).
type SignIn2FARequest struct {
	UUID string `json:"uuid"`
	Type string `json:"type"`
}

// CodeRequest is the body of POST 2fa/google and 2fa/sms.
type CodeRequest struct {
	UUID string `json:"uuid"`
	Code string `json:"code"`
}

// SignInRestoreRequest is the body of POST signin/password/restore.
type SignInRestoreRequest struct {
	UUID   string `json:"uuid"`
	Action string `json:"action"`
	Code   string `json:"code"`
}

// SignInResetRequest is the body of POST signin/password/reset.
type SignInResetRequest struct {
	Password             string `json:"password"`
	PasswordConfirmation string `json:"passwordConfirmation"`
	UUID                 string `json:"uuid"`
}

// ResetData is the data of the final signin/password/reset answer.
type ResetData struct {
	Client ResetClient `json:"client"`
}

// ResetClient is the client whose password was reset.
type ResetClient struct {
	ID       int64          `json:"id"`
	Email    string         `json:"email"`
	Settings map[string]any `json:"settings"`
}

// QRChannel is the answer of GET signin/qrcodes.
type QRChannel struct {
	ID              string  `json:"id"`
	LifetimeMinutes int     `json:"lifetimeMinutes"`
	IP              string  `json:"ip"`
	Location        *string `json:"location"`
}

// QRTokenRequest is the body of POST signin/tokens (CONTRACT.md).
type QRTokenRequest struct {
	ChannelID string `json:"channelId"`
}

// QRTokenResponse is the answer of POST signin/tokens (CONTRACT.md).
type QRTokenResponse struct {
	AuthorizationToken string `json:"authorizationToken"`
}

// QRSignInRequest is the body of POST signin/qrcodes.
type QRSignInRequest struct {
	DeviceFingerprint  string `json:"deviceFingerprint"`
	AuthorizationToken string `json:"authorizationToken"`
}

// QRSignInResponse is the answer of POST signin/qrcodes.
type QRSignInResponse struct {
	ClientID int64  `json:"clientId"`
	Tokens   Tokens `json:"tokens"`
}

// ChallengeResponse answers GET 2fa/challenge, GET 2fa/unauthorized/challenge
// (a confirmation token) and POST 2fa/challenge (a success token). The
// documents name the success token `successToken` but show `token`; a client
// accepts both (see SuccessTokenValue).
type ChallengeResponse struct {
	Token        string `json:"token,omitempty"`
	SuccessToken string `json:"successToken,omitempty"`
	ExpiresAt    string `json:"expiresAt"`
}

// SuccessTokenValue returns the token whichever name the server used.
func (c ChallengeResponse) SuccessTokenValue() string {
	if c.Token != "" {
		return c.Token
	}
	return c.SuccessToken
}

// ChallengeRequest is the body of POST 2fa/challenge.
type ChallengeRequest struct {
	Token string `json:"token"`
	Code  string `json:"code"`
}

// TFAStatus is one 2FA method as GET 2fa and GET 2fa/{type} show it.
type TFAStatus struct {
	Caption   string `json:"caption"`
	IsEnabled bool   `json:"isEnabled"`
	Name      string `json:"name"`
}

// List is the frame of the list answers: 2FA status, both histories.
type List[T any] struct {
	Total int `json:"total"`
	Data  []T `json:"data"`
}

// EnableWizardData is the data of GET 2fa/google/enable/wizard.
type EnableWizardData struct {
	Key string `json:"key"`
}

// TFAWizardRequest is the body of POST 2fa/wizard. Which fields are set
// depends on the step: {uuid, action, code, key} to enable Google,
// {uuid, phone} then {uuid, action, code} to enable SMS, {uuid, action, code}
// to disable.
type TFAWizardRequest struct {
	UUID   string `json:"uuid"`
	Action string `json:"action,omitempty"`
	Code   string `json:"code,omitempty"`
	Key    string `json:"key,omitempty"`
	Phone  string `json:"phone,omitempty"`
}

// PhoneStepData is the data of the SMS enable wizard's phone step.
type PhoneStepData struct {
	Status    int            `json:"status"`
	Sent      int            `json:"sent"`
	ExpiredAt string         `json:"expiredAt"`
	SentAt    string         `json:"sentAt"`
	Recipient PhoneRecipient `json:"recipient"`
}

// PhoneRecipient is the recipient of the SMS enable wizard's code.
type PhoneRecipient struct {
	Class    string `json:"class"`
	Phone    string `json:"phone"`
	Template string `json:"template"`
	Data     any    `json:"data"`
	Type     int    `json:"type"`
	Method   string `json:"method"`
}

// TFAChange is one record of the 2FA change history.
type TFAChange struct {
	ID        int64   `json:"id"`
	Provider  string  `json:"provider"`
	IsEnabled bool    `json:"isEnabled"`
	Time      *string `json:"time"`
}

// PasswordRequest is the body of POST password/change and password/restore.
type PasswordRequest struct {
	Password string `json:"password"`
}

// PasswordChange is one record of the password change history.
type PasswordChange struct {
	ID         int64  `json:"id"`
	Type       string `json:"type"`
	CreateTime string `json:"createTime"`
}

// ErrorBody is the JSON body of every 4xx (CONTRACT.md "Errors").
type ErrorBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Errors  map[string]string `json:"errors"`
}

// ParseTime parses a timestamp in any RFC 3339 form: with or without
// fractional seconds, "Z" or an offset, lower-case "t"/"z", or a space in
// place of "T" (RFC 3339 section 5.6 allows it).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	u := strings.ToUpper(strings.TrimSpace(s))
	if len(u) > 10 && u[10] == ' ' {
		u = u[:10] + "T" + u[11:]
	}
	if t2, err2 := time.Parse(time.RFC3339Nano, u); err2 == nil {
		return t2, nil
	}
	return time.Time{}, err
}
