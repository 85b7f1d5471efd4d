package testhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/authflow/authflow/b2core"
)

// ErrUnsupported is wrapped by the error of a hook the deployment does not
// offer (its endpoint answers 404 or 501): the suite SKIPs what needs it.
var ErrUnsupported = errors.New("test hook not supported")

// ErrNoMessage is wrapped by the error of LatestMessage when no message was
// sent to the address (404 with a JSON or empty body).
var ErrNoMessage = errors.New("no message sent")

// FlowHooks is the flow name of hook calls made outside a flow.
const FlowHooks = "hooks"

// HooksClient calls the test hooks of a deployment. (The contract's
// account type is named Client, in wire.go, hence this name.) It is safe
// for concurrent use.
type HooksClient struct {
	// BaseURL is where the hooks live: an absolute URL
	// ("http://host/__hooks") or a path below the Transport's base URL
	// ("/__hooks").
	BaseURL   string
	Transport b2core.Transport
}

// New returns a HooksClient for the hooks at baseURL, called through t.
func New(baseURL string, t b2core.Transport) *HooksClient {
	return &HooksClient{BaseURL: strings.TrimRight(baseURL, "/"), Transport: t}
}

// CreateClient creates an account (POST /clients, step hooks_create_client)
// and returns it with its secrets.
func (h *HooksClient) CreateClient(ctx context.Context, r CreateClientRequest) (*Client, error) {
	if r.TwoFactor == nil {
		r.TwoFactor = []string{}
	}
	req, resp, err := h.do(ctx, "hooks_create_client", http.MethodPost, "/clients", "/clients", r)
	if err != nil {
		return nil, err
	}
	c, err := b2core.DecodeObject[Client](resp.Body, "id", "email", "password")
	if err != nil {
		return nil, b2core.ShapeError(req, resp, err)
	}
	return c, nil
}

// LatestMessage returns the latest code sent to to (GET
// /messages/latest?to=, step hooks_latest_message). When none was sent the
// error wraps ErrNoMessage. A 404 whose body is neither empty nor JSON (a
// router's "404 page not found") is taken as the hook missing: ErrUnsupported.
func (h *HooksClient) LatestMessage(ctx context.Context, to string) (*Message, error) {
	req, resp, err := h.do(ctx, "hooks_latest_message", http.MethodGet,
		"/messages/latest?"+url.Values{"to": {to}}.Encode(), "/messages/latest", nil)
	if err != nil {
		var se *b2core.StepError
		if resp != nil && resp.Status == http.StatusNotFound && errors.As(err, &se) && jsonOrEmpty(resp.Body) {
			se.Err = ErrNoMessage
			se.Reason = "no message sent"
		}
		return nil, err
	}
	m, err := b2core.DecodeObject[Message](resp.Body, "code", "sentAt")
	if err != nil {
		return nil, b2core.ShapeError(req, resp, err)
	}
	return m, nil
}

// MarkResetRequired makes the client's next sign-in answer
// reset_password_email (POST /clients/{id}/reset-required, step
// hooks_reset_required).
func (h *HooksClient) MarkResetRequired(ctx context.Context, id int64) error {
	_, _, err := h.do(ctx, "hooks_reset_required", http.MethodPost,
		"/clients/"+strconv.FormatInt(id, 10)+"/reset-required", "/clients/{id}/reset-required", nil)
	return err
}

// GetPolicy returns the lockout and refresh policy in force (GET /policy,
// step hooks_get_policy).
func (h *HooksClient) GetPolicy(ctx context.Context) (*Policy, error) {
	return h.policy(ctx, "hooks_get_policy", http.MethodGet, nil)
}

// PutPolicy sets the policy and returns the one now in force (PUT /policy,
// step hooks_put_policy).
func (h *HooksClient) PutPolicy(ctx context.Context, p Policy) (*Policy, error) {
	return h.policy(ctx, "hooks_put_policy", http.MethodPut, p)
}

func (h *HooksClient) policy(ctx context.Context, stepName, method string, body any) (*Policy, error) {
	req, resp, err := h.do(ctx, stepName, method, "/policy", "/policy", body)
	if err != nil {
		return nil, err
	}
	p, err := b2core.DecodeObject[Policy](resp.Body, "signin", "refresh")
	if err != nil {
		return nil, b2core.ShapeError(req, resp, err)
	}
	return p, nil
}

// do sends one hook call. A 404 or 501 gives a *b2core.StepError wrapping
// ErrUnsupported (LatestMessage refines its 404).
func (h *HooksClient) do(ctx context.Context, stepName, method, path, tmpl string, body any) (*b2core.Request, *b2core.Response, error) {
	flow := FlowHooks
	if f := b2core.FlowFrom(ctx); f != b2core.StepFlow {
		flow = f
	}
	req := &b2core.Request{Flow: flow, Step: stepName, Method: method, Path: h.BaseURL + path, Name: method + " " + h.BaseURL + tmpl}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return req, nil, &b2core.StepError{Flow: flow, Step: stepName, Outcome: b2core.OutcomeFailure, Reason: "cannot encode request", Err: err}
		}
		req.Body = b
	}
	resp, err := b2core.Send(ctx, h.Transport, req, b2core.SendOptions{})
	if err != nil && resp != nil && (resp.Status == http.StatusNotFound || resp.Status == http.StatusNotImplemented) {
		var se *b2core.StepError
		if errors.As(err, &se) {
			se.Reason = "hook not supported"
			se.Err = ErrUnsupported
		}
	}
	return req, resp, err
}

// jsonOrEmpty reports whether b is empty or holds valid JSON.
func jsonOrEmpty(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || json.Valid(b)
}
