package extension

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"sync"
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
// flow, step and the client's tags. A vuTransport belongs to one VU's
// Client and is used by that VU's goroutine only: a VU runs one call at a
// time.
type vuTransport struct {
	vu        modules.VU
	baseURL   string
	header    http.Header
	userAgent string
	timeout   time.Duration
	tags      map[string]string
	expected  func(int) bool
	metrics   *flowMetrics
	// base are the headers of a request without and with a body, for the
	// User-Agent baseUA (built on first use: the VU's options are not known
	// in the init context).
	base   [2]http.Header
	baseUA string
	// urls are the parsed URLs of the paths requested so far (a flow
	// requests the same few again and again), at most maxURLs of them.
	urls map[urlKey]*httpext.URL
}

// urlKey keys vuTransport.urls.
type urlKey struct{ path, name string }

// maxURLs bounds vuTransport.urls: paths with ids or queries in them
// (histories) would otherwise grow it for ever.
const maxURLs = 256

var _ b2core.Transport = (*vuTransport)(nil)

// defaultExpected is k6/http's default: 200-399 are expected statuses.
func defaultExpected(status int) bool { return status >= 200 && status <= 399 }

// callInfo travels in the context of one JS call (a flow or a step): what
// statuses the script expects, and the recorder that keeps the call's
// samples until the flow's name is known.
type callInfo struct {
	expected func(int) bool
	rec      *recorder
	// tagFlow, if set, is the flow tag the call's samples carry until it
	// ends (a prediction of its final name), instead of the flow's name.
	tagFlow string
	// waits are the waits the client chose during the call (b2core reports
	// them): never part of a duration.
	waits []waitRecord
	// method is the 2FA method a sign-in chose from the server's answer.
	method string
}

// Chose2FA implements b2core.MethodObserver.
func (ci *callInfo) Chose2FA(method string) { ci.method = method }

// waitRecord is one wait the client chose, and why (a b2core.Wait* reason
// or waitPicker).
type waitRecord struct {
	reason string
	d      time.Duration
}

// Waited implements b2core.WaitObserver.
func (ci *callInfo) Waited(reason string, d time.Duration) {
	ci.waits = append(ci.waits, waitRecord{reason: reason, d: d})
}

// totalWait is the sum of waits.
func totalWait(waits []waitRecord) time.Duration {
	var d time.Duration
	for _, w := range waits {
		d += w.d
	}
	return d
}

// withCall returns ctx carrying ci, which is also the observer b2core
// tells of the call's waits and 2FA method (one context value for both).
func withCall(ctx context.Context, ci *callInfo) context.Context {
	return b2core.WithWaitObserver(ctx, ci)
}

func callFrom(ctx context.Context) *callInfo {
	ci, _ := b2core.WaitObserverFrom(ctx).(*callInfo)
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
	// flow is the flow tag the samples were taken with ("" for a step
	// called on its own: the request's own flow).
	flow string
	// containers are k6's HTTP trails, one per request, pushed as they are
	// (outputs may look for *httpext.Trail).
	containers []metrics.SampleContainer
	// samples are the extension's own (a step duration per request), pushed
	// with the call's own samples as one container: each container pushed
	// is a send on the VU's channel, which may wake k6's output goroutine.
	samples metrics.Samples
	steps   []stepRecord
	// Room for a usual flow, so that recording it allocates nothing more.
	containersBuf [4]metrics.SampleContainer
	samplesBuf    [8]metrics.Sample
	stepsBuf      [4]stepRecord
}

func newRecorder(flow string) *recorder {
	r := &recorder{flow: flow}
	r.containers, r.samples, r.steps = r.containersBuf[:0], r.samplesBuf[:0], r.stepsBuf[:0]
	return r
}

// flush sets the flow tag of every held sample to flow, unless they carry
// it already, and pushes them; extra (the call's own samples, tagged
// already) go in the container of the step samples.
func (r *recorder) flush(ctx context.Context, state *lib.State, flow string, extra metrics.Samples) {
	retagging := flow != "" && flow != r.flow
	for _, c := range r.containers {
		if retagging {
			c = retag(c, flow)
		}
		push(ctx, state, c)
	}
	if retagging {
		retag(r.samples, flow)
	}
	if own := append(r.samples, extra...); len(own) > 0 {
		push(ctx, state, own)
	}
	r.containers, r.samples = nil, nil
}

// lastStatus is the status of the call's last request, 0 if none answered.
func (r *recorder) lastStatus() int {
	if len(r.steps) == 0 {
		return 0
	}
	return r.steps[len(r.steps)-1].Status
}

// jsonMedia is the value of the Accept and Content-Type headers. Requests
// share it: header values are replaced, never written in place, by net/http
// and k6.
var jsonMedia = []string{"application/json"}

// scratch is what Do lends MakeRequest for one request: a copy of the VU's
// state with the body-limited transport and, inside a recorded call, a
// private samples channel. Pooled, because a state copy is a few KiB and a
// load test makes this copy on every request.
type scratch struct {
	state   lib.State
	held    chan metrics.SampleContainer
	limited limitedTransport
}

var scratchPool = sync.Pool{New: func() any {
	// MakeRequest pushes one trail per request (redirects are not followed).
	return &scratch{held: make(chan metrics.SampleContainer, 4)}
}}

// borrow copies state into a pooled scratch; recording routes the request's
// samples to the scratch's channel.
func borrow(state *lib.State, recording bool) *scratch {
	s := scratchPool.Get().(*scratch) //nolint:forcetypeassert // the pool only holds *scratch
	s.state = *state
	s.limited = limitedTransport{rt: state.Transport}
	s.state.Transport = &s.limited
	if recording {
		s.state.Samples = s.held
	}
	return s
}

// drain moves the samples the request pushed to rec.
func (s *scratch) drain(rec *recorder) {
	for {
		select {
		case c := <-s.held:
			rec.containers = append(rec.containers, c)
		default:
			return
		}
	}
}

// release returns s to the pool without the VU's state in it, nor a
// sample left behind (a request that did not end normally), which the next
// borrower would otherwise take for its own.
func (s *scratch) release() {
	s.state, s.limited = lib.State{}, limitedTransport{}
	for len(s.held) > 0 {
		<-s.held
	}
	scratchPool.Put(s)
}

// requestHeader is the header of req: the client's headers, the request's,
// Accept and Content-Type, and the User-Agent (the client's, else the VU's).
// Accept, Content-Type and User-Agent are the client's to set.
func (t *vuTransport) requestHeader(state *lib.State, req *b2core.Request) http.Header {
	ua := t.userAgent
	if ua == "" {
		ua = state.Options.UserAgent.String
	}
	if t.base[0] == nil || t.baseUA != ua {
		t.buildBaseHeaders(ua)
	}
	base := t.base[0]
	if req.Body != nil {
		base = t.base[1]
	}
	hdr := maps.Clone(base)
	for k, vs := range req.Header {
		switch k = textproto.CanonicalMIMEHeaderKey(k); k {
		case "Accept", "Content-Type", "User-Agent":
		default:
			hdr[k] = vs
		}
	}
	return hdr
}

// buildBaseHeaders makes the headers every request starts from, without a
// body and with one: cloning one costs less than building it.
func (t *vuTransport) buildBaseHeaders(ua string) {
	for i := range t.base {
		h := make(http.Header, len(t.header)+3)
		for k, vs := range t.header {
			h[k] = vs
		}
		h["Accept"] = jsonMedia
		if i == 1 {
			h["Content-Type"] = jsonMedia
		}
		if ua != "" {
			h["User-Agent"] = []string{ua}
		}
		t.base[i] = h
	}
	t.baseUA = ua
}

// Do implements b2core.Transport.
func (t *vuTransport) Do(ctx context.Context, req *b2core.Request) (*b2core.Response, error) {
	state := t.vu.State()
	if state == nil {
		return nil, errInitContext
	}
	ci := callFrom(ctx)
	u, err := t.url(req)
	if err != nil {
		return nil, err
	}
	expected := t.expected
	if ci != nil && ci.expected != nil {
		expected = ci.expected
	}
	recording := ci != nil && ci.rec != nil
	flow := req.Flow
	if flow == "" {
		flow = b2core.FlowFrom(ctx)
	}
	if recording && ci.rec.flow != "" {
		flow = ci.rec.flow // what flush would retag it to
	}
	preq := &httpext.ParsedHTTPRequest{
		URL:              u,
		Req:              &http.Request{Method: req.Method, URL: new(*u.GetURL()), Header: t.requestHeader(state, req)},
		Timeout:          t.timeout,
		Throw:            true,                       // errors come back to us; we report them without the URL
		ResponseType:     httpext.ResponseTypeBinary, // []byte as b2core wants it: no string copy
		ResponseCallback: expected,
		Redirects:        null.IntFrom(0), // an API answer is never a redirect to follow: a 3xx is reported as it is
	}
	// The step's tags are the request's but its name: made once for both,
	// with metadata of their own (MakeRequest may add to the request's).
	stepTM := sampleTags(state, t.tags, tagFlow, flow, tagStep, req.Step)
	preq.TagsAndMeta = metrics.TagsAndMeta{Tags: stepTM.Tags}
	if len(stepTM.Metadata) > 0 {
		preq.TagsAndMeta.Metadata = maps.Clone(stepTM.Metadata) // SetMetadata makes one if it needs it
	}
	preq.TagsAndMeta.SetTag(tagName, req.Name)
	if req.Body != nil {
		preq.Body = bytes.NewBuffer(req.Body)
	}

	s := borrow(state, recording)
	defer s.release()
	start := time.Now()
	resp, err := httpext.MakeRequest(ctx, &s.state, preq)
	end := time.Now()

	status := 0
	var out *b2core.Response
	if err == nil && resp != nil {
		status = resp.Status
		out = &b2core.Response{Status: resp.Status, Header: s.limited.header}
		if b, ok := resp.Body.([]byte); ok {
			out.Body = b
		}
		out.Duration = time.Duration(resp.Timings.Duration * float64(time.Millisecond))
	}
	d := end.Sub(start)
	if out != nil && out.Duration > 0 {
		d = out.Duration
	}
	stepS := t.metrics.stepSample(stepTM, status, d, end)
	if recording {
		s.drain(ci.rec)
		ci.rec.samples = append(ci.rec.samples, stepS)
		ci.rec.steps = append(ci.rec.steps, stepRecord{Step: req.Step, Name: req.Name, Status: status, Duration: d})
	} else {
		push(ctx, state, stepS)
	}
	if err != nil {
		return nil, cleanError(err)
	}
	return out, nil
}

// url returns the URL of req, parsed once per path and shared by the VU's
// requests of that path: MakeRequest only reads it. The http.Request gets
// its own copy of the url.URL (net/http may change a request's).
func (t *vuTransport) url(req *b2core.Request) (*httpext.URL, error) {
	key := urlKey{req.Path, req.Name}
	if u, ok := t.urls[key]; ok {
		return u, nil
	}
	u, err := httpext.NewURL(t.baseURL+req.Path, req.Name)
	if err != nil {
		return nil, errors.New("invalid request URL (check baseURL)")
	}
	if t.urls == nil {
		t.urls = make(map[urlKey]*httpext.URL)
	}
	if len(t.urls) < maxURLs {
		t.urls[key] = &u
	}
	return &u, nil
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
// that a runaway server cannot exhaust the load generator's memory. It
// keeps the header of the last response as net/http parsed it: k6's
// response joins each header's values into one string, and b2core wants
// an http.Header.
type limitedTransport struct {
	rt     http.RoundTripper
	header http.Header
}

func (l *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if resp != nil {
		l.header = resp.Header
	}
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
