package b2core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

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
	// TOTPNoWait makes a flow fail with OutcomeTOTPStepUsed instead of
	// waiting for the next TOTP step (see NextTOTPCode).
	TOTPNoWait bool
}

// Client drives the B2Core client API v2. It is safe for concurrent use; it
// holds no session: flows take and return a *Session. The only state it
// keeps is which TOTP time step it last used per secret, so that two flows
// of the same account within one 30-second step do not replay a code (see
// NextTOTPCode).
type Client struct {
	cfg         Config
	fingerprint string
	totp        totpTracker
}

// New returns a Client.
func New(cfg Config) *Client {
	fp := cfg.DeviceFingerprint
	if fp == "" {
		fp = DeviceFingerprint(cfg.UserAgent)
	}
	return &Client{cfg: cfg, fingerprint: fp}
}

// Config returns the configuration the client was made with.
func (c *Client) Config() Config { return c.cfg }

// Fingerprint returns the device_fingerprint the client sends.
func (c *Client) Fingerprint() string { return c.fingerprint }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// Credentials is what a sign-in needs. The server's tfaProviders decide the
// 2FA method: Method ("google", "sms") asks for one of those it enabled,
// TwoFactor (the methods the user is known to have) picks one when the
// server enables both (else google), or when it names none (see pick2FA).
// NewPassword is used when the server answers reset_password_email.
type Credentials struct {
	Email       string
	Password    string
	TOTPSecret  string
	Phone       string
	Method      string
	TwoFactor   []string
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

// SessionFromTokens makes a Session of a token pair. Expiry times that do
// not parse are left zero.
func SessionFromTokens(t Tokens) *Session {
	s := &Session{}
	s.setTokens(t)
	return s
}

func (s *Session) setTokens(t Tokens) {
	if t.AccessToken != nil {
		s.AccessToken = t.AccessToken.Token
		s.AccessExpiresAt, _ = ParseTime(t.AccessToken.ExpiresAt)
	}
	if t.RefreshToken != nil {
		s.RefreshToken = t.RefreshToken.Token
		s.RefreshExpiresAt, _ = ParseTime(t.RefreshToken.ExpiresAt)
	}
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

// ---- flow names in the context ----

type flowKey struct{}

// StepFlow is the flow name of a step called on its own.
const StepFlow = "step"

// Flow names of the whole flows (Request.Flow, StepError.Flow).
const (
	FlowSignIn          = "signin"
	FlowRefresh         = "refresh"
	FlowSignOut         = "signout"
	FlowChallenge       = "challenge"
	FlowPasswordChange  = "password_change"
	FlowPasswordRestore = "password_restore"
	FlowEnableGoogle    = "2fa_enable_google"
	FlowEnableSMS       = "2fa_enable_sms"
	FlowDisableTFA      = "2fa_disable"
	FlowQRSignIn        = "qr_signin"
)

// WithFlow returns ctx naming the flow its requests belong to.
func WithFlow(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, flowKey{}, name)
}

// FlowFrom returns the flow named by ctx, or StepFlow ("step") if none.
func FlowFrom(ctx context.Context) string {
	if s, ok := ctx.Value(flowKey{}).(string); ok && s != "" {
		return s
	}
	return StepFlow
}

// ensureFlow names the flow unless the caller already did (a flow run
// inside another keeps the outer name).
func ensureFlow(ctx context.Context, name string) context.Context {
	if s, ok := ctx.Value(flowKey{}).(string); ok && s != "" {
		return ctx
	}
	return WithFlow(ctx, name)
}

// ---- the shared request and decode helper ----

// Step names that are sign-in attempts: a 429 there is a lockout.
var lockoutSteps = map[string]bool{"signin": true, "signin_2fa": true, "2fa_google": true, "2fa_sms": true}

// IsLockoutStep reports whether a 429 at step is a sign-in lockout.
func IsLockoutStep(step string) bool { return lockoutSteps[step] }

// step describes one call of the API below APIPrefix.
type step struct {
	name   string // Request.Step
	method string
	path   string // below APIPrefix, ids and query included
	tmpl   string // below APIPrefix, ids as {placeholders}, no query
	bearer string
	header http.Header
	body   any
	otp    bool // a 4xx means a code was refused
}

// send builds the Request of s, sends it and classifies the status. On a
// 2xx it returns the answer; else a *StepError.
func (c *Client) send(ctx context.Context, s step) (*Request, *Response, error) {
	req := &Request{
		Flow:   FlowFrom(ctx),
		Step:   s.name,
		Method: s.method,
		Path:   APIPrefix + s.path,
		Name:   s.method + " " + APIPrefix + s.tmpl,
		Header: s.header,
	}
	if s.bearer != "" {
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Authorization", "Bearer "+s.bearer)
	}
	switch body := s.body.(type) {
	case nil:
	default:
		b, err := json.Marshal(body)
		if err != nil {
			return req, nil, &StepError{Flow: req.Flow, Step: req.Step, Outcome: OutcomeFailure, Reason: "cannot encode request", Err: err}
		}
		req.Body = b
	}
	resp, err := Send(ctx, c.cfg.Transport, req, SendOptions{OTP: s.otp, Lockout: IsLockoutStep(s.name)})
	return req, resp, err
}

// SendOptions says how Send classifies an answer.
type SendOptions struct {
	// OTP marks a step whose 4xx means the code it carried was refused.
	OTP bool
	// Lockout marks a sign-in step, where a 429 is a lockout.
	Lockout bool
	// Secrets are more values to mask in a server message, beyond those
	// Send finds in the request itself.
	Secrets []string
}

// Send sends req through t and classifies the answer: a 2xx is returned as
// is with a nil error; anything else gives a *StepError (with the Response,
// when one came, for evidence):
//   - no answer: OutcomeFailure wrapping the transport's error;
//   - 429: OutcomeLockout if o.Lockout, else OutcomeRateLimited, with
//     RetryAfter from the Retry-After header;
//   - 401 to a request with an Authorization header: OutcomeRejected;
//   - another 4xx: OutcomeOTPRejected if o.OTP, else OutcomeRejected;
//   - 5xx and anything else: OutcomeFailure.
//
// The server's `message` is added to the reason only if it is short, and
// only after every value the request carried is masked.
func Send(ctx context.Context, t Transport, req *Request, o SendOptions) (*Response, error) {
	if t == nil {
		return nil, &StepError{Flow: req.Flow, Step: req.Step, Outcome: OutcomeFailure, Reason: "no transport configured"}
	}
	resp, err := t.Do(ctx, req)
	if err != nil {
		return nil, &StepError{Flow: req.Flow, Step: req.Step, Outcome: OutcomeFailure, Reason: "no answer", Err: err}
	}
	if resp == nil {
		return nil, &StepError{Flow: req.Flow, Step: req.Step, Outcome: OutcomeFailure, Reason: "no answer"}
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, nil
	}
	return resp, StatusError(req, resp, o)
}

// StatusError classifies a non-2xx answer as Send does.
func StatusError(req *Request, resp *Response, o SendOptions) *StepError {
	e := &StepError{Flow: req.Flow, Step: req.Step, Status: resp.Status}
	switch st := resp.Status; {
	case st == http.StatusTooManyRequests:
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if o.Lockout {
			e.Outcome, e.Reason = OutcomeLockout, "locked out"
		} else {
			e.Outcome, e.Reason = OutcomeRateLimited, "rate limited"
		}
		if e.RetryAfter > 0 {
			e.Reason += " (retry after " + e.RetryAfter.String() + ")"
		}
	case st == http.StatusUnauthorized && req.Header.Get("Authorization") != "":
		e.Outcome, e.Reason = OutcomeRejected, "access token refused"
	case st >= 400 && st < 500:
		if o.OTP {
			e.Outcome, e.Reason = OutcomeOTPRejected, "code rejected"
		} else {
			e.Outcome, e.Reason = OutcomeRejected, "rejected"
		}
	case st >= 500:
		e.Outcome, e.Reason = OutcomeFailure, "server error"
	default:
		e.Outcome, e.Reason = OutcomeFailure, "unexpected status"
	}
	if msg := serverMessage(resp.Body, append(requestValues(req), o.Secrets...)); msg != "" {
		e.Reason += ": " + msg
	}
	return e
}

// ShapeError makes the *StepError (OutcomeFailure) of a 2xx answer that is
// not what the documents say; err is usually a *DecodeError, whose short
// reason it takes.
func ShapeError(req *Request, resp *Response, err error) *StepError {
	e := &StepError{Flow: req.Flow, Step: req.Step, Status: resp.Status, Outcome: OutcomeFailure}
	var de *DecodeError
	if errors.As(err, &de) {
		e.Reason, e.Err = de.Reason, de.Err
	} else {
		e.Reason, e.Err = "unexpected answer", err
	}
	return e
}

// flowError is a flow's own failure between steps (a missing code source,
// a missing credential), named after the step that could not be run.
func flowError(ctx context.Context, stepName, reason string, err error) *StepError {
	return &StepError{Flow: FlowFrom(ctx), Step: stepName, Outcome: OutcomeFailure, Reason: reason, Err: err}
}

// code asks the configured CodeSource for a code the server sent.
func (c *Client) code(ctx context.Context, stepName string, q CodeQuery) (string, error) {
	if c.cfg.Codes == nil {
		return "", flowError(ctx, stepName, "no code source configured for the "+q.Channel+" code", nil)
	}
	if q.To == "" {
		return "", flowError(ctx, stepName, "no recipient to read the "+q.Channel+" code for", nil)
	}
	start := time.Now()
	code, err := c.cfg.Codes.Code(ctx, q)
	NoteWait(ctx, WaitCodePoll, time.Since(start))
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			return "", flowError(ctx, stepName, "no "+q.Channel+" code: "+se.Reason, nil)
		}
		return "", flowError(ctx, stepName, "no "+q.Channel+" code", err)
	}
	if code == "" {
		return "", flowError(ctx, stepName, "empty "+q.Channel+" code", nil)
	}
	return code, nil
}

// SourceError is a code source's own error, written by the harness (a
// wrong code source setting, say): its Reason reaches the flow's reason
// as it is, unmasked, so it may name a URL. It must hold no secret.
type SourceError struct{ Reason string }

func (e *SourceError) Error() string { return e.Reason }

// codeSince is the time a code search starts from: just before the request
// that makes the server send it, by the wall clock (the server stamps
// messages with its own clock, not the TOTP clock of Config.Now).
func codeSince() time.Time { return time.Now() }

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date (relative to now). Anything else, or a date in the past, is 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, ok := parseUint(v); ok {
		const maxSeconds = int64(1<<63-1) / int64(time.Second)
		if n > maxSeconds {
			n = maxSeconds
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

func parseUint(s string) (int64, bool) {
	if len(s) > 1 && s[0] == '0' {
		// Leading zeros do not count towards the 18 digits an int64 holds.
		s = strings.TrimLeft(s, "0")
		if s == "" {
			return 0, true
		}
	}
	if s == "" || len(s) > 18 {
		if len(s) > 18 && strings.Trim(s, "0123456789") == "" {
			return 1<<63 - 1, true
		}
		return 0, false
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}
