package extension

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/modules"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

// codesOptions are the `codes` option of a Client: where SMS and email
// codes come from.
type codesOptions struct {
	// Source is hooks (the test hooks' GET /messages/latest), url (an HTTP
	// endpoint such as a mail or SMS catcher), fixed (one code for all) or
	// callback (a script function).
	Source string `js:"source"`
	// HooksURL is the test hooks' base URL (source hooks); default
	// baseURL + "/__hooks".
	HooksURL string `js:"hooksURL"`
	// URL is the endpoint template (source url): {to}, {channel} and
	// {since} are replaced, query-escaped.
	URL string `js:"url"`
	// Field is the dot path of the code in the endpoint's JSON answer
	// (source url), e.g. "data.code"; default "code".
	Field string `js:"field"`
	// SentAtField is the dot path of the time the code was sent (source
	// url), to skip a code older than the request that triggered it.
	SentAtField string `js:"sentAtField"`
	// Code is the code (source fixed).
	Code string `js:"code"`
	// Fn is called as fn(to, channel) and returns the code (source callback).
	Fn sobek.Value `js:"fn"`
	// Headers are sent to the endpoint (source url).
	Headers map[string]string `js:"headers"`
	// Timeout bounds the wait for a code (default 10s); Interval is the
	// pause between polls (default 200ms).
	Timeout  time.Duration `js:"timeout"`
	Interval time.Duration `js:"interval"`
}

// Code sources.
const (
	codesHooks    = "hooks"
	codesURL      = "url"
	codesFixed    = "fixed"
	codesCallback = "callback"
)

// codeSource builds the CodeSource of o. Code fetches go over the VU's own
// network settings but are not measured in http_req_*: they are test
// plumbing, not calls of the API under test.
func codeSource(vu modules.VU, baseURL string, o *codesOptions, timeout time.Duration) (b2core.CodeSource, error) {
	if o == nil {
		return nil, nil //nolint:nilnil // no source: flows that need a code fail with a clear reason
	}
	if err := oneOf("codes.source", o.Source, codesHooks, codesURL, codesFixed, codesCallback); err != nil {
		return nil, err
	}
	raw := &rawTransport{vu: vu, baseURL: baseURL, timeout: timeout}
	switch o.Source {
	case codesHooks:
		u := o.HooksURL
		if u == "" {
			u = strings.TrimRight(baseURL, "/") + "/__hooks"
		}
		if err := checkBaseURL(u, "codes.hooksURL"); err != nil {
			return nil, err
		}
		client := testhooks.New(u, raw)
		hc := testhooks.CodeSource(client, o.Timeout)
		hc.Interval = o.Interval
		return &checkedHooks{src: hc, hooks: client, url: u}, nil
	case codesURL:
		if o.URL == "" {
			return nil, errors.New("codes.url is required with source 'url' (e.g. 'http://catcher/code?to={to}&channel={channel}')")
		}
		if !strings.Contains(o.URL, "{to}") {
			return nil, errors.New("codes.url must contain {to}, the recipient of the code")
		}
		field := o.Field
		if field == "" {
			field = "code"
		}
		src := b2core.URLCodes(raw, o.URL, field)
		src.SentAtField = o.SentAtField
		src.Timeout, src.Interval = o.Timeout, o.Interval
		if len(o.Headers) > 0 {
			src.Header = http.Header{}
			for k, v := range o.Headers {
				src.Header.Set(k, v)
			}
		}
		return src, nil
	case codesFixed:
		if o.Code == "" {
			return nil, errors.New("codes.code is required with source 'fixed'")
		}
		return b2core.FixedCodes(o.Code), nil
	default: // callback
		fn, ok := sobek.AssertFunction(o.Fn)
		if !ok {
			return nil, errors.New("codes.fn must be a function (to, channel) => code with source 'callback'")
		}
		rt := vu.Runtime()
		// Flows run on the VU's goroutine and ask for a code synchronously,
		// so calling into the VU's JS runtime here is safe.
		return b2core.FuncCodes(func(_ context.Context, q b2core.CodeQuery) (string, error) {
			v, err := fn(sobek.Undefined(), rt.ToValue(q.To), rt.ToValue(q.Channel))
			if err != nil {
				return "", fmt.Errorf("codes.fn threw: %w", jsErrorMessage(err))
			}
			if s, ok := v.Export().(string); ok {
				return s, nil
			}
			if n, ok := v.Export().(int64); ok {
				return fmt.Sprintf("%06d", n), nil
			}
			return "", fmt.Errorf("codes.fn returned %s, not a string", describe(v))
		}), nil
	}
}

// checkedHooks is the hooks code source, whose base URL is checked once,
// at the first code asked for (GET /policy, a call of the hooks contract):
// a hooksURL where nothing answers fails at once with a reason naming it,
// instead of looking like an SMS that never came. The contract lets a
// deployment leave GET /policy out (404 or 501), so such an answer does not
// fail the source: it only adds a hint to a code that never arrives.
type checkedHooks struct {
	src   b2core.CodeSource
	hooks *testhooks.HooksClient
	url   string

	mu      sync.Mutex
	checked bool
	err     error
	hint    string // said with a code that does not arrive
}

// Code implements b2core.CodeSource.
func (h *checkedHooks) Code(ctx context.Context, q b2core.CodeQuery) (string, error) {
	hint, err := h.check(ctx)
	if err != nil {
		return "", err
	}
	code, err := h.src.Code(ctx, q)
	if err != nil && hint != "" && errors.Is(err, b2core.ErrCodeTimeout) {
		// A SourceError's reason is shown as it is: the URL unmasked.
		return "", &b2core.SourceError{Reason: b2core.MaskSecrets(err.Error()) + "; " + hint}
	}
	return code, err
}

// check asks the hooks for their policy once: no answer means nothing
// listens at that URL; 404 or 501 may be a deployment without the policy
// hook, or the wrong URL, which a code that never arrives then names.
func (h *checkedHooks) check(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checked {
		return h.hint, h.err
	}
	_, err := h.hooks.GetPolicy(ctx)
	if ctx.Err() != nil {
		return "", ctx.Err() // the test ends: decide nothing
	}
	h.checked = true
	var se *b2core.StepError
	switch {
	case err == nil || !errors.As(err, &se):
	case se.Status == 0:
		h.err = &b2core.SourceError{Reason: fmt.Sprintf("the test hooks at codes.hooksURL %s do not answer (GET /policy: %s); "+
			"set codes.hooksURL to the base URL of the hooks", h.url, b2core.MaskSecrets(cleanCause(se)))}
	case errors.Is(err, testhooks.ErrUnsupported):
		h.hint = fmt.Sprintf("GET /policy at codes.hooksURL %s answered HTTP %d too: is that the base URL of the test hooks?", h.url, se.Status)
	}
	return h.hint, h.err
}

// cleanCause is the short cause of a request that got no answer.
func cleanCause(se *b2core.StepError) string {
	if se.Err != nil {
		return se.Err.Error()
	}
	return se.Reason
}

// jsErrorMessage keeps the message of a JS exception, without its stack.
func jsErrorMessage(err error) error {
	var ex *sobek.Exception
	if errors.As(err, &ex) {
		return errors.New(ex.Value().String())
	}
	return err
}

// rawTransport sends requests over the VU's own http.RoundTripper (its
// dialer, hosts and TLS settings) without k6's measuring: it serves the
// code sources and the test hooks. Request.Path may be an absolute URL.
type rawTransport struct {
	vu      modules.VU
	baseURL string
	timeout time.Duration
}

var _ b2core.Transport = (*rawTransport)(nil)

func isAbsURL(p string) bool {
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// Do implements b2core.Transport.
func (t *rawTransport) Do(ctx context.Context, r *b2core.Request) (*b2core.Response, error) {
	state := t.vu.State()
	if state == nil {
		return nil, errInitContext
	}
	target := r.Path
	if !isAbsURL(target) {
		target = strings.TrimRight(t.baseURL, "/") + target
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		return nil, errors.New("invalid request URL")
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ua := state.Options.UserAgent.String; ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	hc := &http.Client{
		Transport:     &limitedTransport{rt: state.Transport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, cleanError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, cleanError(err)
	}
	return &b2core.Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Duration: time.Since(start)}, nil
}
