package b2core

import (
	"context"
	"slices"
	"strings"
)

// SignInFlow signs in through the Sign In Wizard (flow signin): wizard →
// signin → on workflow 2fa, the method the server enabled (see pick2FA)
// → signin/2fa → the code (TOTP by
// Config.Now, or the SMS code to cred.Phone from Config.Codes) → tokens. On
// reset_password_email it reads the emailed code, restores, sets
// cred.NewPassword (which must be set) and signs in again with it.
func (c *Client) SignInFlow(ctx context.Context, cred Credentials) (*Session, error) {
	return c.signIn(ensureFlow(ctx, FlowSignIn), cred, true)
}

func (c *Client) signIn(ctx context.Context, cred Credentials, mayReset bool) (*Session, error) {
	wz, err := c.SignInWizard(ctx)
	if err != nil {
		return nil, err
	}
	since := codeSince()
	r, err := c.SignIn(ctx, wz.UUID, cred.Email, cred.Password)
	if err != nil {
		return nil, err
	}
	uuid := wz.UUID
	if r.UUID != "" {
		uuid = r.UUID
	}
	switch r.Workflow {
	case WorkflowLogin:
		return SessionFromTokens(Tokens{AccessToken: r.Data.AccessToken, RefreshToken: r.Data.RefreshToken}), nil
	case Workflow2FA:
		return c.signIn2FA(ctx, uuid, cred, r.Data.TFAProviders)
	default: // WorkflowResetPasswordEmail; SignIn let no other through
		if !mayReset {
			return nil, flowError(ctx, "signin", "server asked for a password reset again after the reset", nil)
		}
		if cred.NewPassword == "" {
			return nil, flowError(ctx, "signin_password_restore", "the server asks for a password reset (workflow reset_password_email) but no newPassword was given", nil)
		}
		code, err := c.code(ctx, "signin_password_restore", CodeQuery{To: cred.Email, Channel: ChannelEmail, Since: since})
		if err != nil {
			return nil, err
		}
		rr, err := c.SignInRestore(ctx, uuid, code)
		if err != nil {
			return nil, err
		}
		if rr.UUID != "" {
			uuid = rr.UUID
		}
		if _, err := c.SignInReset(ctx, uuid, cred.NewPassword); err != nil {
			return nil, err
		}
		cred.Password, cred.NewPassword = cred.NewPassword, ""
		return c.signIn(ctx, cred, false)
	}
}

// enabledProviders appends to out the 2FA methods the sign-in answer
// enabled, in the server's order (methods this client does not know are
// left out). Callers pass room for two, so that a sign-in allocates nothing.
func enabledProviders(out []string, providers []TFAProvider) []string {
	for _, p := range providers {
		if p.Enabled && (p.Name == ProviderGoogle || p.Name == ProviderSMS) && !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

// providerList writes methods as the server's tfaProviders names them.
func providerList(methods []string) string {
	if len(methods) == 0 {
		return "none enabled"
	}
	return `["` + strings.Join(methods, `", "`) + `"]`
}

// pick2FA chooses the 2FA method of a sign-in: the server decides. An
// explicit cred.Method must be one the server enabled; else the only
// enabled method; when both are, the one of cred.TwoFactor if it names
// exactly one of them, else google. When the answer enables none, the
// method or the user's twoFactor must say.
func pick2FA(cred Credentials, providers []TFAProvider) (string, string) {
	var room [2]string
	enabled := enabledProviders(room[:0], providers)
	declared := func() string {
		g, s := slices.Contains(cred.TwoFactor, ProviderGoogle), slices.Contains(cred.TwoFactor, ProviderSMS)
		switch {
		case g && !s:
			return ProviderGoogle
		case s && !g:
			return ProviderSMS
		}
		return ""
	}
	switch {
	case cred.Method != "":
		if len(enabled) > 0 && !slices.Contains(enabled, cred.Method) {
			return "", "the method " + cred.Method + " was asked for but the server did not enable it for this user (tfaProviders: " +
				providerList(enabled) + ")"
		}
		return cred.Method, ""
	case len(enabled) == 1:
		return enabled[0], ""
	case len(enabled) == 2:
		if d := declared(); d != "" {
			return d, ""
		}
		return ProviderGoogle, ""
	}
	if d := declared(); d != "" {
		return d, ""
	}
	if slices.Contains(cred.TwoFactor, ProviderGoogle) {
		return ProviderGoogle, ""
	}
	return "", "the server asks for a second factor but its tfaProviders enable no method, and neither the method " +
		"nor the user's twoFactor names one"
}

// methodNames are the methods as a person knows them.
var methodNames = map[string]string{ProviderGoogle: "Google Authenticator", ProviderSMS: "an SMS code"}

// lacks explains that the user lacks what method needs, or returns "".
func lacks(cred Credentials, method string, providers []TFAProvider) string {
	var what string
	switch {
	case method == ProviderGoogle && cred.TOTPSecret == "":
		what = "no totpSecret"
	case method == ProviderSMS && cred.Phone == "":
		what = "no phone to read the code for"
	default:
		return ""
	}
	if cred.Method != "" {
		return "the method " + method + " was asked for but the user has " + what
	}
	return "the server asks for " + methodNames[method] + " (tfaProviders: " + providerList(enabledProviders(nil, providers)) +
		") but the user has " + what
}

// MethodObserver is told which 2FA method a sign-in chose (from the
// server's answer), before the flow sends anything for it: the context's
// WaitObserver (WithWaitObserver) is told if it is a MethodObserver too.
type MethodObserver interface {
	Chose2FA(method string)
}

func (c *Client) signIn2FA(ctx context.Context, uuid string, cred Credentials, providers []TFAProvider) (*Session, error) {
	method, why := pick2FA(cred, providers)
	if why != "" {
		return nil, flowError(ctx, "signin_2fa", why, nil)
	}
	if o, ok := ctx.Value(waitKey{}).(MethodObserver); ok {
		o.Chose2FA(method)
	}
	stepName := "2fa_" + method
	if why := lacks(cred, method, providers); why != "" {
		return nil, flowError(ctx, stepName, why, nil)
	}
	since := codeSince()
	cw, err := c.Choose2FA(ctx, uuid, method)
	if err != nil {
		return nil, err
	}
	if cw.UUID != "" {
		uuid = cw.UUID
	}
	var code string
	if method == ProviderGoogle {
		code, err = c.totpCode(ctx, stepName, cred.TOTPSecret)
	} else {
		code, err = c.code(ctx, stepName, CodeQuery{To: cred.Phone, Channel: ChannelSMS, Since: since})
	}
	if err != nil {
		return nil, err
	}
	w, err := c.Submit2FACode(ctx, uuid, method, code)
	if err != nil {
		return nil, err
	}
	return SessionFromTokens(w.Data), nil
}

func noSession(ctx context.Context, stepName string) error {
	return flowError(ctx, stepName, "no session", nil)
}

// RefreshFlow refreshes the session's tokens (flow refresh) and rotates s
// in place.
func (c *Client) RefreshFlow(ctx context.Context, s *Session) error {
	ctx = ensureFlow(ctx, FlowRefresh)
	if s == nil {
		return noSession(ctx, "refresh")
	}
	t, err := c.Refresh(ctx, s.RefreshToken)
	if err != nil {
		return err
	}
	s.setTokens(*t)
	return nil
}

// SignOutFlow signs the session out (flow signout).
func (c *Client) SignOutFlow(ctx context.Context, s *Session) error {
	ctx = ensureFlow(ctx, FlowSignOut)
	if s == nil {
		return noSession(ctx, "signout")
	}
	return c.SignOut(ctx, s.AccessToken)
}

// ChallengeFlow runs a 2FA challenge to a success token: authorized when s is
// non-nil, else unauthorized for email. The emailed code is read from
// Config.Codes for email in both cases (flow challenge).
func (c *Client) ChallengeFlow(ctx context.Context, s *Session, email string) (string, error) {
	ctx = ensureFlow(ctx, FlowChallenge)
	if email == "" {
		return "", flowError(ctx, "challenge_start", "a challenge needs the client's email to read the code", nil)
	}
	since := codeSince()
	var (
		start *ChallengeResponse
		err   error
		bear  string
	)
	if s != nil {
		bear = s.AccessToken
		start, err = c.StartChallenge(ctx, bear)
	} else {
		start, err = c.StartUnauthorizedChallenge(ctx, email)
	}
	if err != nil {
		return "", err
	}
	code, err := c.code(ctx, "challenge_complete", CodeQuery{To: email, Channel: ChannelEmail, Since: since})
	if err != nil {
		return "", err
	}
	done, err := c.CompleteChallenge(ctx, bear, start.Token, code)
	if err != nil {
		return "", err
	}
	return done.SuccessTokenValue(), nil
}

// ChangePasswordFlow changes a signed-in client's password (flow
// password_change): a challenge to email, then password/change.
func (c *Client) ChangePasswordFlow(ctx context.Context, s *Session, email, newPassword string) error {
	ctx = ensureFlow(ctx, FlowPasswordChange)
	if s == nil {
		return noSession(ctx, "challenge_start")
	}
	tok, err := c.ChallengeFlow(ctx, s, email)
	if err != nil {
		return err
	}
	return c.ChangePassword(ctx, s.AccessToken, tok, newPassword)
}

// RestorePasswordFlow restores the password of the client of email (flow
// password_restore): an unauthorized challenge, then password/restore.
func (c *Client) RestorePasswordFlow(ctx context.Context, email, newPassword string) error {
	ctx = ensureFlow(ctx, FlowPasswordRestore)
	tok, err := c.ChallengeFlow(ctx, nil, email)
	if err != nil {
		return err
	}
	return c.RestorePassword(ctx, tok, newPassword)
}

// EnableGoogleFlow enables Google 2FA and returns the new base32 secret
// (flow 2fa_enable_google): enable wizard → key → the TOTP code of that key
// → 2fa/wizard.
func (c *Client) EnableGoogleFlow(ctx context.Context, s *Session) (string, error) {
	ctx = ensureFlow(ctx, FlowEnableGoogle)
	if s == nil {
		return "", noSession(ctx, "2fa_enable_wizard")
	}
	w, err := c.TFAEnableWizard(ctx, s.AccessToken, ProviderGoogle)
	if err != nil {
		return "", err
	}
	key := w.Data.Key
	code, err := c.totpCode(ctx, "2fa_wizard", key)
	if err != nil {
		return "", err
	}
	if _, err := c.TFAWizard(ctx, s.AccessToken, TFAWizardRequest{UUID: w.UUID, Action: "code", Code: code, Key: key}); err != nil {
		return "", err
	}
	return key, nil
}

// EnableSMSFlow enables SMS 2FA with phone (flow 2fa_enable_sms): enable
// wizard → phone step (the server sends a code) → the code from
// Config.Codes → confirmation.
func (c *Client) EnableSMSFlow(ctx context.Context, s *Session, phone string) error {
	ctx = ensureFlow(ctx, FlowEnableSMS)
	if s == nil {
		return noSession(ctx, "2fa_enable_wizard")
	}
	w, err := c.TFAEnableWizard(ctx, s.AccessToken, ProviderSMS)
	if err != nil {
		return err
	}
	uuid := w.UUID
	since := codeSince()
	pw, err := c.TFAWizard(ctx, s.AccessToken, TFAWizardRequest{UUID: uuid, Phone: phone})
	if err != nil {
		return err
	}
	if pw.UUID != "" {
		uuid = pw.UUID
	}
	code, err := c.code(ctx, "2fa_wizard", CodeQuery{To: phone, Channel: ChannelSMS, Since: since})
	if err != nil {
		return err
	}
	_, err = c.TFAWizard(ctx, s.AccessToken, TFAWizardRequest{UUID: uuid, Action: "code", Code: code})
	return err
}

// DisableTFAFlow disables provider; cred gives the TOTP secret or phone
// (flow 2fa_disable): disable wizard → the code (TOTP of cred.TOTPSecret,
// or the SMS code to cred.Phone from Config.Codes) → 2fa/wizard.
func (c *Client) DisableTFAFlow(ctx context.Context, s *Session, provider string, cred Credentials) error {
	ctx = ensureFlow(ctx, FlowDisableTFA)
	if s == nil {
		return noSession(ctx, "2fa_disable_wizard")
	}
	switch {
	case provider == ProviderGoogle && cred.TOTPSecret == "":
		return flowError(ctx, "2fa_disable_wizard", "disabling Google Authenticator needs the user's totpSecret", nil)
	case provider == ProviderSMS && cred.Phone == "":
		return flowError(ctx, "2fa_disable_wizard", "disabling SMS 2FA needs the user's phone to read the code for", nil)
	}
	since := codeSince()
	w, err := c.TFADisableWizard(ctx, s.AccessToken, provider)
	if err != nil {
		return err
	}
	var code string
	if provider == ProviderGoogle {
		code, err = c.totpCode(ctx, "2fa_wizard", cred.TOTPSecret)
		if err != nil {
			return err
		}
	} else {
		code, err = c.code(ctx, "2fa_wizard", CodeQuery{To: cred.Phone, Channel: ChannelSMS, Since: since})
		if err != nil {
			return err
		}
	}
	_, err = c.TFAWizard(ctx, s.AccessToken, TFAWizardRequest{UUID: w.UUID, Action: "code", Code: code})
	return err
}

// QRSignInFlow signs a new session in through a QR channel authorized by
// the signed-in mobile session (flow qr_signin): qr_channel → qr_authorize
// → qr_signin.
func (c *Client) QRSignInFlow(ctx context.Context, mobile *Session) (*Session, error) {
	ctx = ensureFlow(ctx, FlowQRSignIn)
	if mobile == nil {
		return nil, noSession(ctx, "qr_authorize")
	}
	ch, err := c.QRChannel(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := c.QRAuthorize(ctx, mobile.AccessToken, ch.ID)
	if err != nil {
		return nil, err
	}
	r, err := c.QRSignIn(ctx, tok)
	if err != nil {
		return nil, err
	}
	s := SessionFromTokens(r.Tokens)
	s.ClientID = r.ClientID
	return s, nil
}
