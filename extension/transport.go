package extension

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/v2/js/modules"
	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/netext/httpext"
	"go.k6.io/k6/v2/metrics"

	"github.com/authflow/authflow/b2core"
)

// errInitContext is returned (and thrown) when a request is attempted while
// the script's init code runs: k6 forbids I/O there.
var errInitContext = errors.New("authflow: requests can only be made in the VU context " +
	"(the default function, setup() or teardown()), not in the init context (the script's top level)")

// errBodyTooLarge ends reading a response longer than b2core.MaxResponseBody.
var errBodyTooLarge = fmt.Errorf("response body larger than %d MiB", b2core.MaxResponseBody>>20)

// vuTransport is a b2core.Transport over the VU's own HTTP machinery: each
// request goes through k6's httpext.MakeRequest with the VU's lib.State, so
// it uses the VU's transport, dialer and TLS settings (hosts, blocked
// hostnames, --insecure-skip-tls-verify, connection reuse) and is measured
// in k6's http_req_* metrics, tagged with name (the stable Request.Name),
// flow, step and the client's tags.
type vuTransport struct {
	vu        modules.VU
	baseURL   string
	header    http.Header
	userAgent string
	timeout   time.Duration
	tags      map[string]string
	expected  func(int) bool
	metrics   *flowMetrics
}

var _ b2core.Transport = (*vuTransport)(nil)

// defaultExpected is k6/http's default: 200-399 are expected statuses.
func defaultExpected(status int) bool { return status >= 200 && status <= 399 }

// callKey keys a *callInfo in a request context.
type callKey struct{}

// callInfo travels in the context of one JS call (a flow or a step): what
// statuses the script expects, and the recorder that keeps the call's
// samples until the flow's name is known.
type callInfo struct {
	expected func(int) bool
	rec      *recorder
}

func withCall(ctx context.Context, ci *callInfo) context.Context {
	return context.WithValue(ctx, callKey{}, ci)
}

func callFrom(ctx context.Context) *callInfo {
	ci, _ := ctx.Value(callKey{}).(*callInfo)
	return ci
}

// stepRecord is one request of a call, as the result object reports it.
type stepRecord struct {
	Step     string
	Name     string
	Status   int
	Duration time.Duration
}

// recorder holds the metric samples of one JS call. A sign-in flow is named
// by the 2FA path it takes (signin, signin_totp, signin_sms, signin_reset),
// which is known only at its end, and the http_req_* samples of its first
// requests must carry that name too: so samples wait here and are retagged
// and pushed by flush. A flow is a handful of requests, so little waits.
type recorder struct {
	containers []metrics.SampleContainer
	steps      []stepRecord
}

// flush sets the flow tag of every held sample to flow and pushes them.
func (r *recorder) flush(ctx context.Context, state *lib.State, flow string) {
	for _, c := range r.containers {
		if flow != "" {
			c = retag(c, flow)
		}
		push(ctx, state, c)
	}
	r.containers = nil
}

// lastStatus is the status of the call's last request, 0 if none answered.
func (r *recorder) lastStatus() int {
	if len(r.steps) == 0 {
		return 0
	}
	return r.steps[len(r.steps)-1].Status
}

// Do implements b2core.Transport.
func (t *vuTransport) Do(ctx context.Context, req *b2core.Request) (*b2core.Response, error) {
	state := t.vu.State()
	if state == nil {
		return nil, errInitContext
	}
	ci := callFrom(ctx)
	u, err := httpext.NewURL(t.baseURL+req.Path, req.Name)
	if err != nil {
		return nil, errors.New("invalid request URL (check baseURL)")
	}
	hdr := make(http.Header, len(t.header)+len(req.Header)+3)
	for k, vs := range t.header {
		hdr[k] = vs
	}
	for k, vs := range req.Header {
		hdr[k] = vs
	}
	hdr.Set("Accept", "application/json")
	if req.Body != nil {
		hdr.Set("Content-Type", "application/json")
	}
	ua := t.userAgent
	if ua == "" {
		ua = state.Options.UserAgent.String
	}
	if ua != "" {
		hdr.Set("User-Agent", ua)
	}

	expected := t.expected
	if ci != nil && ci.expected != nil {
		expected = ci.expected
	}
	flow := req.Flow
	if flow == "" {
		flow = b2core.FlowFrom(ctx)
	}
	preq := &httpext.ParsedHTTPRequest{
		URL:              &u,
		Req:              &http.Request{Method: req.Method, URL: u.GetURL(), Header: hdr},
		Timeout:          t.timeout,
		Throw:            true,                       // errors come back to us; we report them without the URL
		ResponseType:     httpext.ResponseTypeBinary, // []byte as b2core wants it: no string copy
		ResponseCallback: expected,
		Redirects:        null.IntFrom(0), // an API answer is never a redirect to follow: a 3xx is reported as it is
		TagsAndMeta:      sampleTags(state, t.tags, tagName, req.Name, tagFlow, flow, tagStep, req.Step),
	}
	if req.Body != nil {
		preq.Body = bytes.NewBuffer(req.Body)
	}

	// A shallow copy of the state with a body-size limit on the transport
	// and, inside a recorded call, a private samples channel drained below.
	vuState := *state
	vuState.Transport = limitedTransport{state.Transport}
	var held chan metrics.SampleContainer
	if ci != nil && ci.rec != nil {
		// MakeRequest pushes one trail per request (redirects are not followed).
		held = make(chan metrics.SampleContainer, 4)
		vuState.Samples = held
	}
	start := time.Now()
	resp, err := httpext.MakeRequest(ctx, &vuState, preq)
	end := time.Now()

	status := 0
	var out *b2core.Response
	if err == nil && resp != nil {
		status = resp.Status
		out = &b2core.Response{Status: resp.Status, Header: make(http.Header, len(resp.Headers))}
		for k, v := range resp.Headers {
			out.Header.Set(k, v)
		}
		if b, ok := resp.Body.([]byte); ok {
			out.Body = b
		}
		out.Duration = time.Duration(resp.Timings.Duration * float64(time.Millisecond))
	}
	d := end.Sub(start)
	if out != nil && out.Duration > 0 {
		d = out.Duration
	}
	stepS := t.metrics.stepSample(state, t.tags, flow, req.Step, status, d, end)
	if held != nil {
		close(held)
		for c := range held {
			ci.rec.containers = append(ci.rec.containers, c)
		}
		ci.rec.containers = append(ci.rec.containers, stepS)
	} else {
		push(ctx, state, stepS)
	}
	if ci != nil && ci.rec != nil {
		ci.rec.steps = append(ci.rec.steps, stepRecord{Step: req.Step, Name: req.Name, Status: status, Duration: d})
	}
	if err != nil {
		return nil, cleanError(err)
	}
	return out, nil
}

// transportError is a request that got no answer. Its message never holds
// the URL (which may carry an email address in its query).
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// cleanError strips the URL from a transport error and keeps k6's short
// message for the errors k6 names (request timeout...).
func cleanError(err error) error {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	var ke httpext.K6Error
	if errors.As(err, &ke) {
		msg = ke.Message
	}
	if errors.Is(err, errBodyTooLarge) {
		msg = errBodyTooLarge.Error()
	}
	return &transportError{msg: msg, err: err}
}

// limitedTransport bounds every response body to b2core.MaxResponseBody, so
// that a runaway server cannot exhaust the load generator's memory.
type limitedTransport struct{ rt http.RoundTripper }

func (l limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: b2core.MaxResponseBody}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
