package capillary

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/authflow/authflow/b2core"
)

// FlowPasswordChange is the flow name of ChangePasswordFlow.
const FlowPasswordChange = "capillary_password_change"

// Step names.
const (
	StepValidate = "capillary_validate"
	StepChange   = "capillary_change"
)

// Client drives the Capillary MFA password change over a b2core.Transport
// whose base URL is the Capillary host. It is safe for concurrent use.
type Client struct {
	t b2core.Transport
}

// New returns a Client sending through t.
func New(t b2core.Transport) *Client { return &Client{t: t} }

// Validate checks the current password and returns the MFA token (POST
// mfa/password/validate, step capillary_validate).
func (c *Client) Validate(ctx context.Context, r ValidateRequest) (string, error) {
	resp, err := c.call(ctx, StepValidate, PathValidate, r)
	if err != nil {
		return "", err
	}
	if resp.Token == "" {
		return "", &b2core.StepError{Flow: b2core.FlowFrom(ctx), Step: StepValidate, Status: http.StatusOK,
			Outcome: b2core.OutcomeFailure, Reason: "missing field token"}
	}
	return resp.Token, nil
}

// Change changes the password with the token of Validate (POST
// mfa/password/change, step capillary_change).
func (c *Client) Change(ctx context.Context, r ChangeRequest) error {
	_, err := c.call(ctx, StepChange, PathChange, r)
	return err
}

// ChangePasswordFlow validates oldPassword and changes it to newPassword
// (flow capillary_password_change).
func (c *Client) ChangePasswordFlow(ctx context.Context, identifierType, identifierValue, deviceID, brand, oldPassword, newPassword string) error {
	if b2core.FlowFrom(ctx) == b2core.StepFlow {
		ctx = b2core.WithFlow(ctx, FlowPasswordChange)
	}
	tok, err := c.Validate(ctx, ValidateRequest{IdentifierType: identifierType, IdentifierValue: identifierValue,
		DeviceID: deviceID, Brand: brand, Password: oldPassword})
	if err != nil {
		return err
	}
	return c.Change(ctx, ChangeRequest{DeviceID: deviceID, Password: oldPassword, NewPassword: newPassword,
		ConfirmPassword: newPassword, Brand: brand, Token: tok, IdentifierType: identifierType, IdentifierValue: identifierValue})
}

// call sends one call and classifies the answer: a non-2xx as b2core.Send
// does; a 2xx whose status.success is false by status.code (429 rate
// limited, other 4xx rejected, else failure).
func (c *Client) call(ctx context.Context, stepName, path string, body any) (*Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, &b2core.StepError{Flow: b2core.FlowFrom(ctx), Step: stepName, Outcome: b2core.OutcomeFailure, Reason: "cannot encode request", Err: err}
	}
	req := &b2core.Request{Flow: b2core.FlowFrom(ctx), Step: stepName, Method: http.MethodPost, Path: path, Name: "POST " + path, Body: b}
	resp, err := b2core.Send(ctx, c.t, req, b2core.SendOptions{})
	if err != nil {
		addStatusMessage(err, req, resp)
		return nil, err
	}
	r, err := DecodeResponse(resp.Body)
	if err != nil {
		return nil, b2core.ShapeError(req, resp, err)
	}
	if !r.Status.Success {
		// Classify as if the HTTP status were status.code.
		e := b2core.StatusError(req, &b2core.Response{Status: r.Status.Code, Header: resp.Header, Body: resp.Body}, b2core.SendOptions{})
		e.Status = resp.Status
		if r.Status.Code < 400 || r.Status.Code > 499 {
			e.Outcome = b2core.OutcomeFailure
		}
		e.Reason = "status.success false (code " + strconv.Itoa(r.Status.Code) + ")"
		if m := b2core.SafeMessage(req, r.Status.Message); m != "" {
			e.Reason += ": " + m
		}
		return nil, e
	}
	return r, nil
}

// addStatusMessage adds the server's status.message of a refused call (a
// non-2xx) to err's reason, unless the reason holds it already.
func addStatusMessage(err error, req *b2core.Request, resp *b2core.Response) {
	var se *b2core.StepError
	if resp == nil || !errors.As(err, &se) {
		return
	}
	var w wireResponse
	if json.Unmarshal(resp.Body, &w) != nil || w.Status == nil {
		return
	}
	if m := b2core.SafeMessage(req, w.Status.Message); m != "" && !strings.Contains(se.Reason, m) {
		se.Reason += ": " + m
	}
}

type wireResponse struct {
	Status *struct {
		Success *bool  `json:"success"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Token string `json:"token"`
}

// DecodeResponse decodes the answer of either call and requires
// status.success.
func DecodeResponse(body []byte) (*Response, error) {
	f, err := b2core.DecodeObject[wireResponse](body, "status")
	if err != nil {
		return nil, err
	}
	if f.Status == nil || f.Status.Success == nil {
		return nil, &b2core.DecodeError{Reason: "missing field status.success"}
	}
	return &Response{Status: Status{Success: *f.Status.Success, Code: f.Status.Code, Message: f.Status.Message}, Token: f.Token}, nil
}
