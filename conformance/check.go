package conformance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Phase is when a check runs.
type Phase int

// Phases. Checks of PhaseParallel run side by side on their own accounts;
// checks of PhaseLockout depend on the global lockout and refresh policy
// (which the suite may shorten through PUT /policy for them, restoring it
// afterwards), so they run first, side by side with each other only.
const (
	PhaseParallel Phase = iota
	PhaseLockout
)

// Check is one conformance check.
type Check struct {
	ID    string
	Title string
	Group string
	Level Level
	// Source is the seed document section or CONTRACT.md rule checked.
	Source string
	// Refs are requirements of other standards the check matches.
	Refs []string
	// Profile is the API profile the check needs (b2core or capillary).
	Profile string
	Phase   Phase
	Run     func(t *T)
}

// Groups, in the order the suite reports them.
const (
	GroupShapes    = "shapes"
	GroupSignIn    = "signin"
	Group2FA       = "2fa"
	GroupLockout   = "lockout"
	GroupTokens    = "tokens"
	GroupPasswords = "passwords"
	Group2FAManage = "2fa-manage"
	GroupQR        = "qr"
	GroupCapillary = "capillary"
	GroupBadInput  = "input"
	GroupRace      = "race"
	GroupBinding   = "binding"
)

var groupOrder = []string{
	GroupShapes, GroupSignIn, Group2FA, GroupLockout, GroupTokens,
	GroupPasswords, Group2FAManage, GroupQR, GroupCapillary, GroupBadInput, GroupRace, GroupBinding,
}

// Groups lists the check groups in report order.
func Groups() []string { return slices.Clone(groupOrder) }

var registry []*Check

// register adds checks to the catalogue (from init functions).
func register(cs ...*Check) {
	for _, c := range cs {
		if lookupCheck(c.ID) != nil {
			panic("conformance: duplicate check ID " + c.ID)
		}
		if !slices.Contains(groupOrder, c.Group) {
			panic("conformance: unknown group " + c.Group + " of " + c.ID)
		}
		if c.Profile == "" {
			c.Profile = ProfileB2Core
		}
		registry = append(registry, c)
	}
}

func lookupCheck(id string) *Check {
	for _, c := range registry {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// matchesAnyCheck reports whether sel is a check ID or a prefix of one.
func matchesAnyCheck(sel string) bool {
	for _, c := range registry {
		if strings.HasPrefix(c.ID, sel) {
			return true
		}
	}
	return false
}

func groupIndex(g string) int { return slices.Index(groupOrder, g) }

// Catalogue returns every check, in report order (group, then ID).
func Catalogue() []Check {
	out := make([]Check, 0, len(registry))
	for _, c := range registry {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Check) int {
		if d := cmp.Compare(groupIndex(a.Group), groupIndex(b.Group)); d != 0 {
			return d
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// Selected returns the checks cfg selects (profiles, groups, checks,
// exclude), in report order.
func Selected(cfg *Config) []Check {
	var out []Check
	for _, c := range Catalogue() {
		if !cfg.HasProfile(c.Profile) {
			continue
		}
		if len(cfg.Groups) > 0 && !slices.Contains(cfg.Groups, c.Group) {
			continue
		}
		if len(cfg.Checks) > 0 && !slices.ContainsFunc(cfg.Checks, func(p string) bool { return strings.HasPrefix(c.ID, p) }) {
			continue
		}
		if slices.ContainsFunc(cfg.Exclude, func(p string) bool { return strings.HasPrefix(c.ID, p) }) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// ---- the check's handle ----

// stopCheck is panicked to end a check early (like testing's FailNow).
type stopCheck struct{}

// maxEvidence bounds the exchanges kept for one check.
const maxEvidence = 60

// T is a running check's handle: it makes the HTTP exchanges (recording
// them as evidence, secrets masked), provisions accounts, and collects the
// verdict. A check's Run calls Fail to record a violation, FailNow, Skip
// or Errorf to end the check.
type T struct {
	ctx context.Context
	r   *run
	c   *Check

	mu       sync.Mutex
	ev       []Evidence // every exchange; result() picks what to keep
	secrets  []string
	failed   bool
	skipped  bool
	cause    SkipCause
	errored  bool
	reasons  []string
	notes    []string
	requests int
}

func newT(ctx context.Context, r *run, c *Check) *T { return &T{ctx: ctx, r: r, c: c} }

// Fail records a violation and lets the check go on.
func (t *T) Fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
	t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
}

// FailNow records a violation and ends the check.
func (t *T) FailNow(format string, args ...any) {
	t.Fail(format, args...)
	panic(stopCheck{})
}

// Skip ends the check as SKIP with a reason (unless it already failed):
// a precondition the check needs did not hold.
func (t *T) Skip(format string, args ...any) {
	t.skipAs(SkipPrecondition, format, args...)
}

// skipAs is Skip with the cause the summary counts it under.
func (t *T) skipAs(cause SkipCause, format string, args ...any) {
	t.mu.Lock()
	t.skipped = true
	t.cause = cause
	t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
	t.mu.Unlock()
	panic(stopCheck{})
}

// Errorf ends the check as ERROR: it could not run (a hook failed, a setup
// step the check does not test went wrong, a timeout), which says nothing
// of the property checked. A failure already recorded stands.
func (t *T) Errorf(format string, args ...any) {
	t.mu.Lock()
	t.errored = true
	t.reasons = append(t.reasons, fmt.Sprintf(format, args...))
	t.mu.Unlock()
	panic(stopCheck{})
}

// Note adds an observation to the result without changing the verdict.
func (t *T) Note(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// Expect records a violation when ok is false, annotating x's evidence.
func (t *T) Expect(ok bool, x *X, format string, args ...any) bool {
	if !ok {
		msg := fmt.Sprintf(format, args...)
		if x != nil {
			t.annotate(x, msg)
			msg = fmt.Sprintf("%s (%s %s → %s)", msg, x.Req.Method, pathOnly(x.Req.Path), x.StatusText())
		}
		t.Fail("%s", msg)
	}
	return ok
}

// Require is Expect that ends the check on a violation.
func (t *T) Require(ok bool, x *X, format string, args ...any) {
	if !t.Expect(ok, x, format, args...) {
		panic(stopCheck{})
	}
}

// secret registers values to mask wherever they appear in evidence.
func (t *T) secret(vs ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range vs {
		if v != "" && !slices.Contains(t.secrets, v) {
			t.secrets = append(t.secrets, v)
		}
	}
}

// sleep waits d or until the check's context ends (then ERROR).
func (t *T) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if !b2core.Sleep(t.ctx, d) {
		t.Errorf("%s while waiting", t.stopReason())
	}
}

// stopReason says why the check's context ended.
func (t *T) stopReason() string {
	if errors.Is(t.ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("the check ran out of time (timeouts.check %s beyond the allowed waits)", t.r.cfg.Timeouts.Check)
	}
	return "the run was interrupted"
}

// result builds the CheckResult.
func (t *T) result(started time.Time) CheckResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	res := CheckResult{
		ID: t.c.ID, Title: t.c.Title, Group: t.c.Group, Level: t.c.Level,
		Source: t.c.Source, Refs: t.c.Refs, Started: started.UTC(),
		Duration: float64(time.Since(started).Microseconds()) / 1000,
		Requests: t.requests,
	}
	switch {
	case t.failed && t.c.Level == SHOULD:
		res.Verdict = Warn
	case t.failed:
		res.Verdict = Fail
	case t.errored:
		res.Verdict = Error
	case t.skipped:
		res.Verdict = Skip
		res.SkipCause = t.cause
	default:
		res.Verdict = Pass
	}
	res.Reason = strings.Join(append(slices.Clone(t.reasons), t.notes...), "; ")
	if res.Verdict != Pass && res.Verdict != Skip {
		res.Evidence = pickEvidence(t.ev)
	}
	return res
}

// pickEvidence keeps at most maxEvidence exchanges, in order: first those
// a failure was noted on, then the latest others.
func pickEvidence(ev []Evidence) []Evidence {
	if len(ev) <= maxEvidence {
		return slices.Clone(ev)
	}
	keep := make([]bool, len(ev))
	n := 0
	for i := range ev {
		if ev[i].Note != "" && n < maxEvidence {
			keep[i] = true
			n++
		}
	}
	for i := len(ev) - 1; i >= 0 && n < maxEvidence; i-- {
		if !keep[i] {
			keep[i] = true
			n++
		}
	}
	out := make([]Evidence, 0, maxEvidence+1)
	out = append(out, Evidence{Step: "(omitted)", Note: fmt.Sprintf("%d of %d exchanges are not kept", len(ev)-n, len(ev))})
	for i, k := range keep {
		if k {
			out = append(out, ev[i])
		}
	}
	return out
}

// ---- exchanges ----

// X is one HTTP exchange a check made.
type X struct {
	Step string
	Req  *b2core.Request
	Resp *b2core.Response // nil when no answer came (Err says why)
	Err  error

	idx     int // index in the check's evidence
	t       *T
	parsed  bool
	json    any
	jsonErr error
}

// Status is the answer's HTTP status, 0 when none came.
func (x *X) Status() int {
	if x.Resp == nil {
		return 0
	}
	return x.Resp.Status
}

// StatusText is "HTTP 401" or "no answer: …".
func (x *X) StatusText() string {
	if x.Resp == nil {
		return fmt.Sprintf("no answer: %v", x.Err)
	}
	return fmt.Sprintf("HTTP %d", x.Resp.Status)
}

// Body returns the raw answer body.
func (x *X) Body() []byte {
	if x.Resp == nil {
		return nil
	}
	return x.Resp.Body
}

// Header returns an answer header.
func (x *X) Header(name string) string {
	if x.Resp == nil {
		return ""
	}
	return x.Resp.Header.Get(name)
}

// JSON decodes the answer body (once).
func (x *X) JSON() (any, error) {
	if !x.parsed {
		x.parsed = true
		if x.Resp == nil {
			x.jsonErr = fmt.Errorf("no answer")
		} else {
			x.json, x.jsonErr = parseJSON(x.Resp.Body)
		}
	}
	return x.json, x.jsonErr
}

// J is the decoded body, nil if it is not JSON.
func (x *X) J() any {
	v, _ := x.JSON()
	return v
}

// Is2xx, Is4xx and Is5xx classify the status.
func (x *X) Is2xx() bool { return x.Status() >= 200 && x.Status() < 300 }
func (x *X) Is4xx() bool { return x.Status() >= 400 && x.Status() < 500 }
func (x *X) Is5xx() bool { return x.Status() >= 500 }

// callOpts are the optional parts of a request.
type callOpts struct {
	header http.Header
	hooks  bool // to the hooks base URL
	// tolerateNoAnswer returns a transport error in X.Err instead of ending
	// the check as ERROR.
	tolerateNoAnswer bool
	// via, when set, sends the request through this transport (a burst's
	// pre-dialled connection).
	via *b2core.HTTPTransport
}

type callOpt func(*callOpts)

// withBearer sends an Authorization: Bearer header.
func withBearer(token string) callOpt {
	return withHeader("Authorization", "Bearer "+token)
}

// withHeader sends a header (the empty value sends the header empty).
func withHeader(k, v string) callOpt {
	return func(o *callOpts) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header[http.CanonicalHeaderKey(k)] = []string{v}
	}
}

func toHooks() callOpt          { return func(o *callOpts) { o.hooks = true } }
func tolerateNoAnswer() callOpt { return func(o *callOpts) { o.tolerateNoAnswer = true } }

// encodeBody turns a body argument into bytes: nil → none, []byte or
// string → as is, anything else → JSON.
func encodeBody(body any) []byte {
	switch b := body.(type) {
	case nil:
		return nil
	case []byte:
		return b
	case string:
		return []byte(b)
	case json.RawMessage:
		return b
	}
	out, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("conformance: cannot encode request body: %v", err))
	}
	return out
}

// call makes one exchange and records it as evidence. A request that gets
// no answer ends the check as ERROR, unless tolerateNoAnswer.
func (t *T) call(step, method, path string, body any, opts ...callOpt) *X {
	var o callOpts
	for _, fn := range opts {
		fn(&o)
	}
	req := &b2core.Request{
		Flow: "conformance", Step: step, Method: method, Path: path,
		Name: method + " " + pathOnly(path), Header: o.header, Body: encodeBody(body),
	}
	tr := t.r.api
	if o.hooks {
		tr = t.r.hooks
	}
	if o.via != nil {
		tr = o.via
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.r.cfg.Timeouts.Request.D())
	defer cancel()
	resp, err := tr.Do(ctx, req)
	x := &X{Step: step, Req: req, Resp: resp, Err: err, t: t}
	t.record(x, o.hooks)
	if err != nil && !o.tolerateNoAnswer {
		if t.ctx.Err() != nil {
			t.Errorf("%s: %s", step, t.stopReason())
		}
		t.Errorf("%s: %s %s got no answer: %v", step, method, pathOnly(path), err)
	}
	return x
}

// api calls the target's API.
func (t *T) api(step, method, path string, body any, opts ...callOpt) *X {
	return t.call(step, method, path, body, opts...)
}

// record keeps the exchange as masked evidence.
func (t *T) record(x *X, hooks bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	path := x.Req.Path
	if hooks {
		path = "{hooks}" + path
	}
	e := Evidence{
		Step:          x.Step,
		Method:        x.Req.Method,
		Path:          path,
		RequestHeader: maskRequestHeader(x.Req.Header),
		RequestBody:   maskBody(x.Req.Body, t.secrets),
	}
	if x.Resp != nil {
		e.Status = x.Resp.Status
		e.ResponseHeader = pickResponseHeader(x.Resp.Header)
		e.ResponseBody = maskBody(x.Resp.Body, t.secrets)
	} else {
		e.Note = fmt.Sprintf("no answer: %v", x.Err)
	}
	x.idx = len(t.ev)
	t.ev = append(t.ev, e)
}

// annotate attaches a note to x's evidence.
func (t *T) annotate(x *X, note string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if x.t != t || x.idx < 0 || x.idx >= len(t.ev) {
		return
	}
	if t.ev[x.idx].Note != "" {
		note = t.ev[x.idx].Note + "; " + note
	}
	t.ev[x.idx].Note = note
}

// pathOnly drops the query of a path (for messages: the query may hold an
// email address).
func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
