package b2core

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// workflowAuth is the workflow of POST signin/2fa for each provider.
var workflowAuth = map[string]string{ProviderGoogle: Workflow2FAGoogleAuth, ProviderSMS: Workflow2FASMSAuth}

func badProvider(ctx context.Context, stepName, provider string) error {
	return flowError(ctx, stepName, "unknown 2FA provider "+shortQuoted(provider)+" (want google or sms)", nil)
}

func shortQuoted(s string) string {
	if t := shortText(s); t != "" && len(t) <= 20 {
		return `"` + t + `"`
	}
	return "(unprintable)"
}

// ---- 2FA at sign-in ----

// Choose2FA picks the 2FA method of a sign-in (POST signin/2fa, step
// signin_2fa). It expects workflow 2fa_google_auth or 2fa_sms_auth to match
// the provider.
func (c *Client) Choose2FA(ctx context.Context, uuid, provider string) (*RawWizard, error) {
	want, ok := workflowAuth[provider]
	if !ok {
		return nil, badProvider(ctx, "signin_2fa", provider)
	}
	req, resp, err := c.send(ctx, step{name: "signin_2fa", method: http.MethodPost, path: "/signin/2fa", tmpl: "/signin/2fa",
		body: SignIn2FARequest{UUID: uuid, Type: provider}})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[json.RawMessage](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageNext, want)
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// Submit2FACode completes a sign-in with a 2FA code (POST 2fa/google or
// 2fa/sms, steps 2fa_google and 2fa_sms). It expects the final answer with
// both tokens. A 4xx is OutcomeOTPRejected, a 429 OutcomeLockout.
func (c *Client) Submit2FACode(ctx context.Context, uuid, provider, code string) (*Wizard[Tokens], error) {
	if _, ok := workflowAuth[provider]; !ok {
		return nil, badProvider(ctx, "2fa_code", provider)
	}
	p := "/2fa/" + provider
	req, resp, err := c.send(ctx, step{name: "2fa_" + provider, method: http.MethodPost, path: p, tmpl: p,
		body: CodeRequest{UUID: uuid, Code: code}, otp: true})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[Tokens](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageFinal, WorkflowLogin)
	}
	if err == nil {
		err = checkTokens(w.Data.AccessToken, w.Data.RefreshToken)
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// ---- challenges ----

// StartChallenge starts a 2FA procedure of a signed-in client (GET
// 2fa/challenge, step challenge_start): the server mails a code and answers
// a confirmation token.
func (c *Client) StartChallenge(ctx context.Context, accessToken string) (*ChallengeResponse, error) {
	return c.challenge(ctx, step{name: "challenge_start", method: http.MethodGet, path: "/2fa/challenge", tmpl: "/2fa/challenge", bearer: accessToken})
}

// StartUnauthorizedChallenge starts a 2FA procedure for the client of email
// (GET 2fa/unauthorized/challenge?email=, step challenge_unauthorized_start).
func (c *Client) StartUnauthorizedChallenge(ctx context.Context, email string) (*ChallengeResponse, error) {
	return c.challenge(ctx, step{name: "challenge_unauthorized_start", method: http.MethodGet,
		path: "/2fa/unauthorized/challenge?" + url.Values{"email": {email}}.Encode(), tmpl: "/2fa/unauthorized/challenge"})
}

// CompleteChallenge sends the emailed code for a confirmation token (POST
// 2fa/challenge, step challenge_complete) and returns the success token,
// which the server may name `token` or `successToken`: both fields hold it.
// accessToken may be empty for an unauthorized challenge. A 4xx is
// OutcomeOTPRejected.
func (c *Client) CompleteChallenge(ctx context.Context, accessToken, confirmationToken, code string) (*ChallengeResponse, error) {
	return c.challenge(ctx, step{name: "challenge_complete", method: http.MethodPost, path: "/2fa/challenge", tmpl: "/2fa/challenge",
		bearer: accessToken, body: ChallengeRequest{Token: confirmationToken, Code: code}, otp: true})
}

func (c *Client) challenge(ctx context.Context, s step) (*ChallengeResponse, error) {
	req, resp, err := c.send(ctx, s)
	if err != nil {
		return nil, err
	}
	cr, err := DecodeChallenge(resp.Body)
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return cr, nil
}

// ---- status ----

// TFAStatus lists the 2FA methods and whether each is enabled (GET 2fa,
// step 2fa_status).
func (c *Client) TFAStatus(ctx context.Context, accessToken string) (*List[TFAStatus], error) {
	req, resp, err := c.send(ctx, step{name: "2fa_status", method: http.MethodGet, path: "/2fa", tmpl: "/2fa", bearer: accessToken})
	if err != nil {
		return nil, err
	}
	l, err := DecodeList[TFAStatus](resp.Body, "name", "isEnabled")
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return l, nil
}

// TFAMethod tells whether one 2FA method is enabled (GET 2fa/{type}, step
// 2fa_method).
func (c *Client) TFAMethod(ctx context.Context, accessToken, provider string) (*TFAStatus, error) {
	if _, ok := workflowAuth[provider]; !ok {
		return nil, badProvider(ctx, "2fa_method", provider)
	}
	req, resp, err := c.send(ctx, step{name: "2fa_method", method: http.MethodGet, path: "/2fa/" + provider, tmpl: "/2fa/{type}", bearer: accessToken})
	if err != nil {
		return nil, err
	}
	s, err := DecodeObject[TFAStatus](resp.Body, "name", "isEnabled")
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return s, nil
}

// ---- enable and disable wizards ----

// TFAEnableWizard starts enabling a 2FA method (GET 2fa/{type}/enable/wizard,
// step 2fa_enable_wizard). For google it expects workflow 2fa_google and
// data.key; for sms workflow 2fa_sms_phone_create (data may be null).
func (c *Client) TFAEnableWizard(ctx context.Context, accessToken, provider string) (*Wizard[*EnableWizardData], error) {
	var want string
	switch provider {
	case ProviderGoogle:
		want = Workflow2FAGoogle
	case ProviderSMS:
		want = Workflow2FASMSPhoneCreate
	default:
		return nil, badProvider(ctx, "2fa_enable_wizard", provider)
	}
	req, resp, err := c.send(ctx, step{name: "2fa_enable_wizard", method: http.MethodGet,
		path: "/2fa/" + provider + "/enable/wizard", tmpl: "/2fa/{type}/enable/wizard", bearer: accessToken})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[*EnableWizardData](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageNext, want)
	}
	if err == nil && w.UUID == "" {
		err = shapef("empty uuid")
	}
	if err == nil && provider == ProviderGoogle && (w.Data == nil || w.Data.Key == "") {
		err = shapef("missing field data.key")
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// TFADisableWizard starts disabling a 2FA method (GET
// 2fa/{type}/disable/wizard, step 2fa_disable_wizard). It expects workflow
// 2fa_google or 2fa_sms; done may be true (the documents' example says so).
func (c *Client) TFADisableWizard(ctx context.Context, accessToken, provider string) (*RawWizard, error) {
	if _, ok := workflowAuth[provider]; !ok {
		return nil, badProvider(ctx, "2fa_disable_wizard", provider)
	}
	req, resp, err := c.send(ctx, step{name: "2fa_disable_wizard", method: http.MethodGet,
		path: "/2fa/" + provider + "/disable/wizard", tmpl: "/2fa/{type}/disable/wizard", bearer: accessToken})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[json.RawMessage](resp.Body)
	if err == nil {
		err = expectWizard(w.Workflow, w.Done, w.Code, stageAny, "2fa_"+provider)
	}
	if err == nil && w.UUID == "" {
		err = shapef("empty uuid")
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}

// TFAWizard posts a step of an enable or disable wizard (POST 2fa/wizard,
// step 2fa_wizard). With a phone and no code it is the SMS phone step and
// expects workflow phone; with a code it is the confirmation and expects the
// final answer, workflow TerminateWorkflow (data [], {} or null). With a
// code, a 4xx is OutcomeOTPRejected.
func (c *Client) TFAWizard(ctx context.Context, accessToken string, r TFAWizardRequest) (*RawWizard, error) {
	req, resp, err := c.send(ctx, step{name: "2fa_wizard", method: http.MethodPost, path: "/2fa/wizard", tmpl: "/2fa/wizard",
		bearer: accessToken, body: r, otp: r.Code != ""})
	if err != nil {
		return nil, err
	}
	w, err := DecodeWizard[json.RawMessage](resp.Body)
	if err == nil {
		switch {
		case r.Code != "":
			err = expectWizard(w.Workflow, w.Done, w.Code, stageFinal, WorkflowTerminate)
		case r.Phone != "":
			err = expectWizard(w.Workflow, w.Done, w.Code, stageNext, WorkflowPhone)
		default:
			err = expectWizard(w.Workflow, w.Done, w.Code, stageAny)
		}
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return w, nil
}
