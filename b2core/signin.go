package b2core

import (
	"context"
	"encoding/json"
	"net/http"
)

// SignInWizard starts a Sign In Wizard session (GET signin/wizard, step
// signin_wizard). It expects workflow login and a uuid.
func (c *Client) SignInWizard(ctx context.Context) (*Wizard[WizardInitData], error) {
	req, resp, err := c.send(ctx, step{name: "signin_wizard", method: http.MethodGet, path: "/signin/wizard", tmpl: "/signin/wizard"})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[WizardInitData](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageNext, WorkflowLogin)
	}
	if err == nil && w.UUID == "" {
		err = shapef("empty uuid")
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// SignIn posts the credentials (POST signin, step signin). The answer's
// workflow is login (done, with both tokens), 2fa (with tfaProviders) or
// reset_password_email; any other is a failure.
func (c *Client) SignIn(ctx context.Context, uuid, email, password string) (*Wizard[SignInData], error) {
	body := SignInRequest{UUID: uuid, Email: email, Password: password, DeviceFingerprint: c.fingerprint}
	req, resp, err := c.send(ctx, step{name: "signin", method: http.MethodPost, path: "/signin", tmpl: "/signin", body: body})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[SignInData](resp.Body)
	if err == nil {
		switch w.Workflow {
		case WorkflowLogin:
			err = expectWizard(w.Workflow, w.Done, w.Code, stageFinal)
			if err == nil {
				err = checkTokens(w.Data.AccessToken, w.Data.RefreshToken)
			}
		case Workflow2FA, WorkflowResetPasswordEmail:
			err = expectWizard(w.Workflow, w.Done, w.Code, stageNext)
		default:
			err = expectWizard(w.Workflow, w.Done, w.Code, stageAny, WorkflowLogin, Workflow2FA, WorkflowResetPasswordEmail)
		}
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// SignInRestore sends the email code of a reset required by the Back Office
// (POST signin/password/restore, step signin_password_restore). It expects
// workflow reset_password. A 4xx is OutcomeOTPRejected: the code was refused.
func (c *Client) SignInRestore(ctx context.Context, uuid, code string) (*RawWizard, error) {
	body := SignInRestoreRequest{UUID: uuid, Action: "code", Code: code}
	req, resp, err := c.send(ctx, step{name: "signin_password_restore", method: http.MethodPost,
		path: "/signin/password/restore", tmpl: "/signin/password/restore", body: body, otp: true})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[json.RawMessage](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageNext, WorkflowResetPassword)
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// SignInReset sets the new password (POST signin/password/reset, step
// signin_password_reset). It expects the final answer, workflow login.
func (c *Client) SignInReset(ctx context.Context, uuid, newPassword string) (*Wizard[ResetData], error) {
	body := SignInResetRequest{Password: newPassword, PasswordConfirmation: newPassword, UUID: uuid}
	req, resp, err := c.send(ctx, step{name: "signin_password_reset", method: http.MethodPost,
		path: "/signin/password/reset", tmpl: "/signin/password/reset", body: body})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[ResetData](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageFinal, WorkflowLogin)
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// Refresh trades a refresh token for a new pair (POST refresh, step
// refresh). A 429 is OutcomeRateLimited.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	req, resp, err := c.send(ctx, step{name: "refresh", method: http.MethodPost, path: "/refresh", tmpl: "/refresh",
		body: RefreshRequest{RefreshToken: refreshToken}})
	if err != nil {
		return nil, err
	}
	t, err := DecodeTokens(resp.Body)
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return t, nil
}

// SignOut revokes the session of accessToken (POST signout, step signout).
// Any 2xx is a success; its body is not read.
func (c *Client) SignOut(ctx context.Context, accessToken string) error {
	_, _, err := c.send(ctx, step{name: "signout", method: http.MethodPost, path: "/signout", tmpl: "/signout", bearer: accessToken})
	return err
}
