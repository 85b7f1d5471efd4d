package b2core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CodeQuery asks a CodeSource for the code last sent to To over Channel
// ("sms" or "email") at or after Since.
type CodeQuery struct {
	To      string
	Channel string
	Since   time.Time
}

// CodeSource yields the SMS and email codes a flow must type in: from the
// test hooks, an HTTP endpoint, a fixed value or a script callback.
type CodeSource interface {
	Code(ctx context.Context, q CodeQuery) (string, error)
}

// Channels of CodeQuery.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Defaults of the polling code sources.
const (
	DefaultCodeTimeout  = 10 * time.Second
	DefaultCodeInterval = 200 * time.Millisecond
)

// ErrCodeTimeout is the error of a polling code source that found no code
// in time.
var ErrCodeTimeout = errors.New("no code arrived in time")

// FixedCodes always answers code (a server configured with a fixed test
// code).
func FixedCodes(code string) CodeSource {
	return CodeFunc(func(context.Context, CodeQuery) (string, error) { return code, nil })
}

// CodeFunc is a CodeSource made of a function (a k6 script callback).
type CodeFunc func(ctx context.Context, q CodeQuery) (string, error)

// Code implements CodeSource.
func (f CodeFunc) Code(ctx context.Context, q CodeQuery) (string, error) { return f(ctx, q) }

// FuncCodes returns f as a CodeSource.
func FuncCodes(f func(ctx context.Context, q CodeQuery) (string, error)) CodeSource {
	return CodeFunc(f)
}

// PollCode calls try every interval until it yields a code, fails for good,
// timeout passes or ctx ends. try returns ("", false, nil) for "not yet",
// (code, _, nil) for a code, and an error with retry true for a passing
// trouble (it is kept and reported if time runs out) or false to stop at
// once. Zero timeout and interval mean the defaults.
func PollCode(ctx context.Context, timeout, interval time.Duration,
	try func(ctx context.Context) (code string, retry bool, err error)) (string, error) {
	if timeout <= 0 {
		timeout = DefaultCodeTimeout
	}
	if interval <= 0 {
		interval = DefaultCodeInterval
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		code, retry, err := try(pctx)
		if err == nil && code != "" {
			return code, nil
		}
		if err != nil {
			if !retry && pctx.Err() == nil {
				return "", err
			}
			// A poll cut short by the deadline says less than the answer
			// before it (a 500, say): keep that one for the message.
			if pctx.Err() == nil || last == nil {
				last = err
			}
		}
		if !Sleep(pctx, interval) {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if last != nil {
		return "", fmt.Errorf("%w (%s): %w", ErrCodeTimeout, timeout, last)
	}
	return "", fmt.Errorf("%w (%s)", ErrCodeTimeout, timeout)
}

// Transient reports whether err is worth another try: a *StepError with
// no answer, a 429 or a 5xx.
func Transient(err error) bool {
	var se *StepError
	if !errors.As(err, &se) {
		return false
	}
	return se.Status == 0 && se.Err != nil || se.Status == http.StatusTooManyRequests || se.Status >= 500
}

// Sleep waits d or until ctx ends; it reports whether ctx is still live.
// A flow that waits (a code poll, a Retry-After, the next TOTP step) waits
// with it, so that the end of a test never leaves a goroutine asleep.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// URLCodeSource reads codes from an HTTP endpoint (a mail or SMS catcher),
// through a Transport so that a load test measures the calls (step
// code_url). It polls until the answer holds a code.
type URLCodeSource struct {
	Transport Transport
	// URL is a template: {to}, {channel} and {since} (RFC 3339) are
	// replaced by the query's values, query-escaped. An absolute URL is
	// fetched as is; a path is below the Transport's base URL.
	URL string
	// Field is the dot-separated path of the code in the JSON answer
	// ("data.code", "messages.0.code"). A string or a number is taken.
	Field string
	// SentAtField, if set, is the path of the time the code was sent; an
	// answer sent before the query's Since (to the second) is not taken.
	SentAtField string
	// Header is added to every request.
	Header http.Header
	// Timeout bounds the polling (default 10 s); Interval is the pause
	// between polls (default 200 ms).
	Timeout  time.Duration
	Interval time.Duration
}

// URLCodes returns a URLCodeSource with the default timeout and interval.
func URLCodes(t Transport, urlTemplate, field string) *URLCodeSource {
	return &URLCodeSource{Transport: t, URL: urlTemplate, Field: field}
}

// Code implements CodeSource. A 2xx without the field, a 404, a 429 and a
// 5xx mean "not yet"; another 4xx stops at once.
func (s *URLCodeSource) Code(ctx context.Context, q CodeQuery) (string, error) {
	since := ""
	if !q.Since.IsZero() {
		since = q.Since.UTC().Format(time.RFC3339)
	}
	target := strings.NewReplacer(
		"{to}", url.QueryEscape(q.To),
		"{channel}", url.QueryEscape(q.Channel),
		"{since}", url.QueryEscape(since),
	).Replace(s.URL)
	name, _, _ := strings.Cut(s.URL, "?")
	return PollCode(ctx, s.Timeout, s.Interval, func(ctx context.Context) (string, bool, error) {
		req := &Request{Flow: FlowFrom(ctx), Step: "code_url", Method: http.MethodGet, Path: target, Name: "GET " + name, Header: s.Header.Clone()}
		resp, err := Send(ctx, s.Transport, req, SendOptions{})
		if err != nil {
			if resp != nil && resp.Status == http.StatusNotFound {
				return "", false, nil
			}
			return "", Transient(err), err
		}
		doc, err := decodeAny(resp.Body)
		if err != nil {
			return "", true, ShapeError(req, resp, err)
		}
		if s.SentAtField != "" && !q.Since.IsZero() {
			v, ok := lookupPath(doc, s.SentAtField)
			if !ok {
				return "", false, nil
			}
			t, err := ParseTime(v)
			if err != nil {
				return "", true, ShapeError(req, resp, shapef("unparseable %s", s.SentAtField))
			}
			if t.Before(q.Since.Truncate(time.Second)) {
				return "", false, nil
			}
		}
		code, _ := lookupPath(doc, s.Field)
		return code, false, nil
	})
}

// decodeAny decodes JSON keeping numbers as their text.
func decodeAny(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, jsonError(err)
	}
	return v, nil
}

// lookupPath follows a dot-separated path through objects (by key) and
// arrays (by index) to a string or a number.
func lookupPath(v any, path string) (string, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return x.String(), true
	}
	return "", false
}
