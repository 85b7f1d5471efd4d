package b2core

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Request is one HTTP call of a flow, described apart from how it is sent, so
// that the same flow runs over net/http (the suite, benchmarks) and over a k6
// VU's own transport (the extension), where each request must be measured
// and tagged by k6.
type Request struct {
	// Flow is the flow the request belongs to ("signin", "password_change").
	Flow string
	// Step is the stable step name ("signin", "signin_2fa", "2fa_google").
	Step string
	// Method is the HTTP method.
	Method string
	// Path is the path and query below the base URL, ids included, or an
	// absolute http:// or https:// URL, used as is.
	Path string
	// Name is a stable template of Method and Path without ids or query
	// ("POST /api/v2/my/signin/2fa"), for metric tags.
	Name string
	// Header holds the request's own headers (Authorization, successToken).
	Header http.Header
	// Body is the JSON body, nil for none.
	Body []byte
}

// Response is what came back. A transport returns a Response for every HTTP
// answer, whatever its status; the error return is for a request that got
// no answer (refused, reset, timed out).
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration
}

// Transport sends one Request.
type Transport interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}

// MaxResponseBody bounds how much of an answer is read: an honest answer of
// this API is a few KiB, and a runaway server must not exhaust a load
// generator's memory.
const MaxResponseBody = 1 << 20

// HTTPTransport sends requests with net/http to BaseURL.
type HTTPTransport struct {
	BaseURL string
	Client  *http.Client
	// Header is added to every request (extra headers from the options).
	Header http.Header
}

var _ Transport = (*HTTPTransport)(nil)

// NewHTTPTransport returns a transport to baseURL with the given timeout.
func NewHTTPTransport(baseURL string, timeout time.Duration) *HTTPTransport {
	return &HTTPTransport{
		BaseURL: strings.TrimRight(baseURL, "/"),
		Client:  &http.Client{Timeout: timeout},
	}
}

// IsAbsoluteURL reports whether path is an absolute http:// or https://
// URL, which a transport must use as is rather than below its base URL.
func IsAbsoluteURL(path string) bool {
	p := strings.ToLower(path)
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// URL returns the URL of a Request.Path: an absolute URL as is (the test
// hooks may live on another base URL), else the path below BaseURL.
func (t *HTTPTransport) URL(path string) string {
	if IsAbsoluteURL(path) {
		return path
	}
	return strings.TrimRight(t.BaseURL, "/") + path
}

// Do implements Transport.
func (t *HTTPTransport) Do(ctx context.Context, r *Request) (*Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, t.URL(r.Path), body)
	if err != nil {
		return nil, fmt.Errorf("%s: build request: %w", r.Step, err)
	}
	for k, vs := range t.Header {
		req.Header[k] = vs
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Duration: time.Since(start)}, nil
}
