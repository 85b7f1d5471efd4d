package b2core

import (
	"context"
	"errors"
	"time"
)

// errUnimplemented marks a step still being written. TEMPORARY: replaced by the implementation.
var errUnimplemented = errors.New("not implemented yet")

// CodeQuery asks a CodeSource for the code last sent to To over Channel
// ("sms" or "email") at or after Since.
type CodeQuery struct {
	To      string
	Channel string
	Since   time.Time
}

// CodeSource yields the SMS and email codes a flow must type in: from the
// test hooks, an HTTP endpoint, a fixed value or a script callback.
type CodeSource interface {
	Code(ctx context.Context, q CodeQuery) (string, error)
}

// Config configures a Client.
type Config struct {
	Transport Transport
	// DeviceFingerprint is sent as device_fingerprint; empty means one is
	// built from UserAgent (Base64 of {"user_agent": ...}).
	DeviceFingerprint string
	UserAgent         string
	// Codes is where SMS and email codes come from; nil means flows that
	// need one fail with a clear reason.
	Codes CodeSource
	// Now is the clock used for TOTP codes; nil means time.Now.
	Now func() time.Time
}

// Client drives the B2Core client API v2. It is safe for concurrent use; it
// holds no session: flows take and return a *Session.
type Client struct{ cfg Config }

// New returns a Client.
func New(cfg Config) *Client { return &Client{cfg: cfg} }

// Credentials is what a sign-in needs. Method picks the 2FA method when both
// are enabled ("google", "sms"; empty prefers google). NewPassword is used when
// the server answers reset_password_email.
type Credentials struct {
	Email       string
	Password    string
	TOTPSecret  string
	Phone       string
	Method      string
	NewPassword string
}

// Session is a signed-in session's token pair.
type Session struct {
	ClientID         int64
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// HistoryQuery holds the paging, sorting and filters of the history calls.
// Zero values are left out of the query.
type HistoryQuery struct {
	Limit     int
	Offset    int
	SortBy    string // "time" (2FA) or "createTime" (password)
	SortOrder string // "asc" or "desc"
	// 2FA history filters.
	IsEnabled *bool
	TimeFrom  time.Time
	TimeTo    time.Time
	Provider  string
}

// ---- single steps ----

func (c *Client) SignInWizard(ctx context.Context) (*Wizard[WizardInitData], error) {
	return nil, errUnimplemented
}
func (c *Client) SignIn(ctx context.Context, uuid, email, password string) (*Wizard[SignInData], error) {
	return nil, errUnimplemented
}
func (c *Client) Choose2FA(ctx context.Context, uuid, provider string) (*RawWizard, error) {
	return nil, errUnimplemented
}
func (c *Client) Submit2FACode(ctx context.Context, uuid, provider, code string) (*Wizard[Tokens], error) {
	return nil, errUnimplemented
}
func (c *Client) SignInRestore(ctx context.Context, uuid, code string) (*RawWizard, error) {
	return nil, errUnimplemented
}
func (c *Client) SignInReset(ctx context.Context, uuid, newPassword string) (*Wizard[ResetData], error) {
	return nil, errUnimplemented
}
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	return nil, errUnimplemented
}
func (c *Client) SignOut(ctx context.Context, accessToken string) error { return errUnimplemented }
func (c *Client) QRChannel(ctx context.Context) (*QRChannel, error)     { return nil, errUnimplemented }
func (c *Client) QRAuthorize(ctx context.Context, accessToken, channelID string) (string, error) {
	return "", errUnimplemented
}
func (c *Client) QRSignIn(ctx context.Context, authorizationToken string) (*QRSignInResponse, error) {
	return nil, errUnimplemented
}
func (c *Client) StartChallenge(ctx context.Context, accessToken string) (*ChallengeResponse, error) {
	return nil, errUnimplemented
}
func (c *Client) StartUnauthorizedChallenge(ctx context.Context, email string) (*ChallengeResponse, error) {
	return nil, errUnimplemented
}
func (c *Client) CompleteChallenge(ctx context.Context, accessToken, confirmationToken, code string) (*ChallengeResponse, error) {
	return nil, errUnimplemented
}
func (c *Client) TFAStatus(ctx context.Context, accessToken string) (*List[TFAStatus], error) {
	return nil, errUnimplemented
}
func (c *Client) TFAMethod(ctx context.Context, accessToken, provider string) (*TFAStatus, error) {
	return nil, errUnimplemented
}
func (c *Client) TFAEnableWizard(ctx context.Context, accessToken, provider string) (*Wizard[*EnableWizardData], error) {
	return nil, errUnimplemented
}
func (c *Client) TFADisableWizard(ctx context.Context, accessToken, provider string) (*RawWizard, error) {
	return nil, errUnimplemented
}
func (c *Client) TFAWizard(ctx context.Context, accessToken string, req TFAWizardRequest) (*RawWizard, error) {
	return nil, errUnimplemented
}
func (c *Client) TFAChanges(ctx context.Context, accessToken string, q HistoryQuery) (*List[TFAChange], error) {
	return nil, errUnimplemented
}
func (c *Client) TFAChange(ctx context.Context, accessToken string, id int64) (*TFAChange, error) {
	return nil, errUnimplemented
}
func (c *Client) ChangePassword(ctx context.Context, accessToken, successToken, newPassword string) error {
	return errUnimplemented
}
func (c *Client) RestorePassword(ctx context.Context, successToken, newPassword string) error {
	return errUnimplemented
}
func (c *Client) PasswordChanges(ctx context.Context, accessToken string, q HistoryQuery) (*List[PasswordChange], error) {
	return nil, errUnimplemented
}
func (c *Client) PasswordChange(ctx context.Context, accessToken string, id int64) (*PasswordChange, error) {
	return nil, errUnimplemented
}

// ---- whole flows ----

func (c *Client) SignInFlow(ctx context.Context, cred Credentials) (*Session, error) {
	return nil, errUnimplemented
}
func (c *Client) RefreshFlow(ctx context.Context, s *Session) error { return errUnimplemented }
func (c *Client) SignOutFlow(ctx context.Context, s *Session) error { return errUnimplemented }

// ChallengeFlow runs a 2FA challenge to a success token: authorized when s is
// non-nil, else unauthorized for email.
func (c *Client) ChallengeFlow(ctx context.Context, s *Session, email string) (string, error) {
	return "", errUnimplemented
}
func (c *Client) ChangePasswordFlow(ctx context.Context, s *Session, email, newPassword string) error {
	return errUnimplemented
}
func (c *Client) RestorePasswordFlow(ctx context.Context, email, newPassword string) error {
	return errUnimplemented
}

// EnableGoogleFlow enables Google 2FA and returns the new base32 secret.
func (c *Client) EnableGoogleFlow(ctx context.Context, s *Session) (string, error) {
	return "", errUnimplemented
}
func (c *Client) EnableSMSFlow(ctx context.Context, s *Session, phone string) error {
	return errUnimplemented
}

// DisableTFAFlow disables provider; cred gives the TOTP secret or phone.
func (c *Client) DisableTFAFlow(ctx context.Context, s *Session, provider string, cred Credentials) error {
	return errUnimplemented
}

// QRSignInFlow signs a new session in through a QR channel authorized by
// the signed-in mobile session.
func (c *Client) QRSignInFlow(ctx context.Context, mobile *Session) (*Session, error) {
	return nil, errUnimplemented
}

// TOTPCode returns the RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32
// secret at t.
func TOTPCode(secret string, t time.Time) (string, error) { return "", errUnimplemented }
