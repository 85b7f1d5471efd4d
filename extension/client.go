package extension

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"
	"go.k6.io/k6/v2/metrics"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// Profiles: which API a client speaks.
const (
	profileB2Core    = "b2core"
	profileCapillary = "capillary"
)

// waitPicker is the wait reason of a picker that had no user free.
const waitPicker = "picker"

// totpWait values.
const (
	totpWaitWait = "wait"
	totpWaitFail = "fail"
)

// onLockout values.
const (
	lockoutFail = "fail"
	lockoutWait = "wait"
	lockoutSkip = "skip"
)

// Flow names the extension adds to b2core's.
const (
	flowSignInTOTP  = "signin_totp"
	flowSignInSMS   = "signin_sms"
	flowSignInReset = "signin_reset"
	flowTFAChanges  = "tfa_changes"
	flowPwdChanges  = "password_changes"
)

// clientOptions are the options of new Client(options).
type clientOptions struct {
	BaseURL   string            `js:"baseURL"`
	Profile   string            `js:"profile"`
	Timeout   time.Duration     `js:"timeout"`
	Headers   map[string]string `js:"headers"`
	Tags      map[string]string `js:"tags"`
	Codes     *codesOptions     `js:"codes"`
	OnLockout string            `js:"onLockout"`
	// TOTPWait says what a flow does when this client already sent the
	// TOTP codes of the current and the next step for the user: 'wait'
	// (default: sleep until the next step, reported as waitedMs) or 'fail'
	// (outcome totp_step_used at once).
	TOTPWait string `js:"totpWait"`
	// MaxLockoutWait bounds the sleep of onLockout 'wait' (default 60s).
	MaxLockoutWait time.Duration `js:"maxLockoutWait"`
	// SkipAttempts is how many users signIn(picker) tries with onLockout
	// 'skip' (default 3).
	SkipAttempts      int         `js:"skipAttempts"`
	Throw             bool        `js:"throw"`
	UserAgent         string      `js:"userAgent"`
	DeviceFingerprint string      `js:"deviceFingerprint"`
	ExpectedStatuses  sobek.Value `js:"expectedStatuses"`
}

// Client is the script's client bound to one target.
type Client struct {
	mi        *ModuleInstance
	opts      clientOptions
	transport *vuTransport
	b2        *b2core.Client
	cap       *capillary.Client
	// Steps holds each call on its own (client.steps.signIn(...)).
	Steps *Steps `js:"steps"`
	// BaseURL and Profile echo the options.
	BaseURL string `js:"baseURL"`
	Profile string `js:"profile"`
}

func checkBaseURL(s, what string) error {
	if s == "" {
		return fmt.Errorf("%s is required (e.g. 'http://127.0.0.1:8080')", what)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http:// or https:// URL", what)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry credentials", what)
	}
	return nil
}

// newClient implements new Client(options). It does no I/O: it may run in
// the init context.
func (mi *ModuleInstance) newClient(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	c, err := mi.makeClient(call.Argument(0))
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.ToValue(c).ToObject(rt)
}

func (mi *ModuleInstance) makeClient(v sobek.Value) (*Client, error) {
	rt := mi.vu.Runtime()
	if common.IsNullish(v) {
		return nil, errors.New("new Client(options): options are required, at least { baseURL }")
	}
	o := clientOptions{Profile: profileB2Core, OnLockout: lockoutFail, TOTPWait: totpWaitWait, Timeout: 60 * time.Second,
		MaxLockoutWait: time.Minute, SkipAttempts: 3}
	if err := decodeOptions(rt, v, &o, "Client options"); err != nil {
		return nil, err
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if err := checkBaseURL(o.BaseURL, "Client options.baseURL"); err != nil {
		return nil, err
	}
	if err := oneOf("Client options.profile", o.Profile, profileB2Core, profileCapillary); err != nil {
		return nil, err
	}
	if err := oneOf("Client options.onLockout", o.OnLockout, lockoutFail, lockoutWait, lockoutSkip); err != nil {
		return nil, err
	}
	if err := oneOf("Client options.totpWait", o.TOTPWait, totpWaitWait, totpWaitFail); err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		return nil, errors.New("Client options.timeout must be positive")
	}
	if o.SkipAttempts < 1 {
		o.SkipAttempts = 1
	}
	expected := defaultExpected
	if !common.IsNullish(o.ExpectedStatuses) {
		var err error
		if expected, err = parseExpected(o.ExpectedStatuses, "Client options.expectedStatuses"); err != nil {
			return nil, err
		}
	}
	hdr := http.Header{}
	for k, val := range o.Headers {
		hdr.Set(k, val)
	}
	t := &vuTransport{vu: mi.vu, baseURL: o.BaseURL, header: hdr, userAgent: o.UserAgent, timeout: o.Timeout,
		tags: o.Tags, expected: expected, metrics: mi.metrics}
	codes, err := codeSource(mi.vu, o.BaseURL, o.Codes, o.Timeout)
	if err != nil {
		return nil, fmt.Errorf("Client options.%w", err)
	}
	c := &Client{
		mi: mi, opts: o, transport: t,
		b2: b2core.New(b2core.Config{Transport: t, DeviceFingerprint: o.DeviceFingerprint,
			UserAgent: o.UserAgent, Codes: codes, TOTPNoWait: o.TOTPWait == totpWaitFail}),
		cap:     capillary.New(t),
		BaseURL: o.BaseURL, Profile: o.Profile,
	}
	c.Steps = &Steps{c: c}
	return c, nil
}

// parseExpected reads expected statuses as k6's http.expectedStatuses
// does: integers and {min, max} ranges.
func parseExpected(v sobek.Value, what string) (func(int) bool, error) {
	obj, ok := v.(*sobek.Object)
	if !ok || !isArray(obj) {
		return nil, fmt.Errorf("%s must be an array of statuses and {min, max} ranges", what)
	}
	var exact []int
	var ranges [][2]int
	n := int(obj.Get("length").ToInteger())
	for i := range n {
		e := obj.Get(fmt.Sprint(i))
		if s, err := toInt(e); err == nil {
			exact = append(exact, int(s))
			continue
		}
		eo, ok := e.(*sobek.Object)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a status or {min, max}, not %s", what, i, describe(e))
		}
		lo, err1 := toInt(eo.Get("min"))
		hi, err2 := toInt(eo.Get("max"))
		if err1 != nil || err2 != nil || lo > hi {
			return nil, fmt.Errorf("%s[%d] must be {min, max} with integer min <= max", what, i)
		}
		ranges = append(ranges, [2]int{int(lo), int(hi)})
	}
	return func(status int) bool {
		if slices.Contains(exact, status) {
			return true
		}
		for _, r := range ranges {
			if status >= r[0] && status <= r[1] {
				return true
			}
		}
		return false
	}, nil
}

// ---- running a call ----

// callResult is how one flow or step ended.
type callResult struct {
	flow       string
	outcome    b2core.Outcome
	step       string
	status     int
	reason     string
	retryAfter time.Duration
	duration   time.Duration
	steps      []stepRecord
	attempts   int
	// waited is the sum of waits: the time the client chose to wait (the
	// next TOTP step, a code to arrive, a Retry-After, a free user), which
	// duration leaves out.
	waited time.Duration
	waits  []waitRecord
	// method is the 2FA method a sign-in chose from the server's answer.
	method string
}

// addWait records a wait made outside exec (a Retry-After, a picker).
func (r *callResult) addWait(reason string, d time.Duration) {
	r.waits = append(r.waits, waitRecord{reason: reason, d: d})
	r.waited += d
}

func (r *callResult) ok() bool { return r.outcome == b2core.OutcomeSuccess }

// requireVU throws in the init context, where k6 forbids requests.
func (c *Client) requireVU() {
	if c.mi.vu.State() == nil {
		common.Throw(c.mi.vu.Runtime(), errInitContext)
	}
}

func (c *Client) requireProfile(p, method string) {
	if c.opts.Profile != p {
		common.Throw(c.mi.vu.Runtime(), fmt.Errorf("%s() needs a client with profile '%s'; this client has profile '%s'",
			method, p, c.opts.Profile))
	}
}

// exec runs fn with a recorder, under the flow name flow ("" for a step
// called on its own), and classifies how it ended. Its samples wait in the
// recorder for finishFlow or finishStep.
func (c *Client) exec(flow string, ci *callInfo, fn func(ctx context.Context) error) (*callResult, *recorder) {
	if ci == nil {
		ci = &callInfo{}
	}
	rec := newRecorder(flow)
	if ci.tagFlow != "" {
		rec.flow = ci.tagFlow
	}
	ci.rec = rec
	ctx := withCall(c.mi.vu.Context(), ci)
	if flow != "" {
		ctx = b2core.WithFlow(ctx, flow)
	}
	start := time.Now()
	defer func() {
		// A script callback (a code source) may throw through the flow: the
		// samples taken so far still reach k6.
		if r := recover(); r != nil {
			rec.flush(c.mi.vu.Context(), c.mi.vu.State(), flow, nil)
			panic(r)
		}
	}()
	err := fn(ctx)
	waited := totalWait(ci.waits)
	res := &callResult{flow: flow, outcome: b2core.OutcomeSuccess, duration: time.Since(start) - waited,
		steps: rec.steps, status: rec.lastStatus(), attempts: 1, waits: ci.waits, waited: waited, method: ci.method}
	if flow == "" {
		res.flow = b2core.StepFlow
	}
	if n := len(rec.steps); n > 0 {
		res.step = rec.steps[n-1].Step
	}
	if err != nil {
		c.classify(res, err)
	}
	return res, rec
}

// classify fills res from a flow's error. Reasons are written by b2core
// and this package; the text of a cause (a transport or decoding error) is
// masked on top, as it may come from outside.
func (c *Client) classify(res *callResult, err error) {
	var se *b2core.StepError
	if !errors.As(err, &se) {
		res.outcome = b2core.OutcomeFailure
		res.reason = b2core.MaskSecrets(err.Error())
		return
	}
	res.outcome, res.step, res.status, res.retryAfter = se.Outcome, se.Step, se.Status, se.RetryAfter
	res.reason = se.Reason
	if se.Err != nil {
		res.reason += ": " + b2core.MaskSecrets(se.Err.Error())
	}
	if se.Status == 0 && len(res.steps) > 0 && res.steps[len(res.steps)-1].Step != se.Step {
		res.status = 0 // a failure between requests: no answer to report
	}
}

// finishStep pushes the samples of a step called on its own.
func (c *Client) finishStep(res *callResult, rec *recorder) {
	state := c.mi.vu.State()
	now := time.Now()
	own := c.mi.metrics.appendOutcomeSample(nil, state, c.opts.Tags, res.flow, res.step, res.outcome, now)
	own = c.mi.metrics.appendWaitSamples(own, state, c.opts.Tags, res.flow, res.waits, now)
	rec.flush(c.mi.vu.Context(), state, "", own)
}

// finishFlow names the flow's samples res.flow, pushes them and the flow's
// own samples.
func (c *Client) finishFlow(res *callResult, rec *recorder) {
	state := c.mi.vu.State()
	now := time.Now()
	var buf [4]metrics.Sample
	own := c.mi.metrics.appendFlowSamples(buf[:0], state, c.opts.Tags, res.flow, res.outcome, res.duration, now)
	own = c.mi.metrics.appendOutcomeSample(own, state, c.opts.Tags, res.flow, res.step, res.outcome, now)
	own = c.mi.metrics.appendWaitSamples(own, state, c.opts.Tags, res.flow, res.waits, now)
	rec.flush(c.mi.vu.Context(), state, res.flow, own)
}

// pushWait pushes the sample of a wait made between flows (a picker's).
func (c *Client) pushWait(flow, reason string, d time.Duration) {
	state := c.mi.vu.State()
	s := c.mi.metrics.appendWaitSamples(nil, state, c.opts.Tags, flow, []waitRecord{{reason: reason, d: d}}, time.Now())
	push(c.mi.vu.Context(), state, s)
}

// flowNaming names a flow from how it went (the sign-in's 2FA path).
type flowNaming struct {
	// predicted is the flow tag its requests carry while it runs: when the
	// flow goes as predicted, its samples need no retagging at its end.
	predicted string
	// final is the flow's name once it has run.
	final func(*callResult, *recorder) string
}

// runFlow runs a whole flow and honours onLockout 'wait': after a lockout or
// a rate limit with a Retry-After no longer than maxLockoutWait, it sleeps
// that long and runs the flow once more. name, if set, names the flow from
// how it went; without it the flow is named flow.
func (c *Client) runFlow(flow string, fn func(ctx context.Context) error, name *flowNaming) *callResult {
	var slept time.Duration
	for attempt := 1; ; attempt++ {
		var ci *callInfo
		if name != nil {
			ci = &callInfo{tagFlow: name.predicted}
		}
		res, rec := c.exec(flow, ci, fn)
		if name != nil {
			res.flow = name.final(res, rec)
		}
		if slept > 0 {
			res.addWait(b2core.WaitLockout, slept)
		}
		res.attempts = attempt
		c.finishFlow(res, rec)
		limited := res.outcome == b2core.OutcomeLockout || res.outcome == b2core.OutcomeRateLimited
		if attempt > 1 || c.opts.OnLockout != lockoutWait || !limited || res.retryAfter <= 0 {
			return res
		}
		wait := min(res.retryAfter, c.opts.MaxLockoutWait)
		start := time.Now()
		ok := b2core.Sleep(c.mi.vu.Context(), wait)
		slept = time.Since(start)
		if !ok || wait < res.retryAfter {
			// The test ends, or the block outlasts maxLockoutWait: report it.
			res.addWait(b2core.WaitLockout, slept)
			c.pushWait(res.flow, b2core.WaitLockout, slept)
			return res
		}
	}
}

// ---- result objects ----

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// hidden sets a non-enumerable property: readable, never serialized.
func hidden(rt *sobek.Runtime, o *sobek.Object, name string, v any) {
	_ = o.DefineDataProperty(name, rt.ToValue(v), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
}

// describeResult is the one-line, secret-free description of a failure:
// "signin_totp at step 2fa_google (HTTP 422): code rejected: ...", each
// word once (the step is left out when it is the flow's own name, the
// outcome when a reason says it).
func describeResult(res *callResult) string {
	s := res.flow
	if res.step != "" && res.step != res.flow {
		s += " at step " + res.step
	}
	if res.status != 0 {
		s += " (HTTP " + strconv.Itoa(res.status) + ")"
	}
	reason := res.reason
	if reason == "" {
		reason = string(res.outcome)
	}
	return s + ": " + reason
}

// jsError is the exception thrown with throw: true: an Error named
// AuthflowError carrying flow, step, status, outcome and the result.
func (c *Client) jsError(res *callResult, result *sobek.Object) sobek.Value {
	rt := c.mi.vu.Runtime()
	ctor := rt.Get("Error")
	e, err := rt.New(ctor, rt.ToValue("authflow: "+describeResult(res)))
	if err != nil {
		return rt.NewGoError(errors.New("authflow: " + describeResult(res)))
	}
	_ = e.Set("name", "AuthflowError")
	_ = e.Set("flow", res.flow)
	_ = e.Set("step", res.step)
	_ = e.Set("status", res.status)
	_ = e.Set("outcome", string(res.outcome))
	_ = e.Set("result", result)
	return e
}

// ---- flows ----

// signInOptions are the options of signIn(user, options).
type signInOptions struct {
	// Method picks the 2FA method when both are enabled: google or sms.
	Method string `js:"method"`
	// NewPassword is set if the server asks for a reset (reset_password_email).
	NewPassword string `js:"newPassword"`
}

func credentials(u User, so signInOptions) b2core.Credentials {
	return b2core.Credentials{Email: u.Email, Password: u.Password, TOTPSecret: u.TOTPSecret, Phone: u.Phone,
		Method: so.Method, TwoFactor: u.TwoFactor, NewPassword: so.NewPassword}
}

// flowOfMethod is the sign-in flow of a 2FA method.
func flowOfMethod(method string) string {
	switch method {
	case b2core.ProviderGoogle:
		return flowSignInTOTP
	case b2core.ProviderSMS:
		return flowSignInSMS
	}
	return b2core.FlowSignIn
}

// declaredSignIn names a sign-in that ended before the server named its
// 2FA method, from what the script declared: the method option, else the
// user's twoFactor field when it names one method (never guessed from a
// phone or a secret), else signin. Its requests carry this name while the
// flow runs.
func declaredSignIn(u User, so signInOptions) string {
	if so.Method != "" {
		return flowOfMethod(so.Method)
	}
	g, s := slices.Contains(u.TwoFactor, b2core.ProviderGoogle), slices.Contains(u.TwoFactor, b2core.ProviderSMS)
	switch {
	case g:
		return flowSignInTOTP // google first when the server enables both (b2core.Credentials)
	case s:
		return flowSignInSMS
	}
	return b2core.FlowSignIn
}

// signInFlowName names a sign-in by what the server answered: signin_reset
// when it asked for a reset, signin_totp or signin_sms by the 2FA method
// chosen from its tfaProviders, signin when it ended without 2FA, or the
// declared path when it failed before the server said.
func signInFlowName(res *callResult, rec *recorder, u User, so signInOptions) string {
	seen := func(step string) bool {
		return res.step == step || slices.ContainsFunc(rec.steps, func(s stepRecord) bool { return s.Step == step })
	}
	switch {
	case seen("signin_password_restore") || seen("signin_password_reset"):
		return flowSignInReset
	case res.method != "":
		return flowOfMethod(res.method)
	case seen("2fa_google"):
		return flowSignInTOTP
	case seen("2fa_sms"):
		return flowSignInSMS
	case res.ok():
		return b2core.FlowSignIn
	}
	return declaredSignIn(u, so)
}

// signInUser runs the sign-in flow for u.
func (c *Client) signInUser(u User, so signInOptions) (*callResult, *sessionRef) {
	var sess *b2core.Session
	res := c.runFlow(b2core.FlowSignIn, func(ctx context.Context) error {
		s, err := c.b2.SignInFlow(ctx, credentials(u, so))
		sess = s
		return err
	}, &flowNaming{
		predicted: declaredSignIn(u, so),
		final:     func(res *callResult, rec *recorder) string { return signInFlowName(res, rec, u, so) },
	})
	if !res.ok() || sess == nil {
		return res, nil
	}
	if sess.ClientID == 0 {
		sess.ClientID = u.ID
	}
	return res, newSessionRef(sess)
}

// SignIn runs the whole sign-in: signIn(user, {method, newPassword}), or
// signIn(picker, ...) to take a user from a UserPicker (released with the
// result; with onLockout 'skip' a locked-out user is set aside and another
// one tried).
func (c *Client) SignIn(call sobek.FunctionCall) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "signIn")
	rt := c.mi.vu.Runtime()
	var so signInOptions
	if err := decodeOptions(rt, call.Argument(1), &so, "signIn options"); err != nil {
		common.Throw(rt, err)
	}
	if so.Method != "" {
		if err := oneOf("signIn options.method", so.Method, b2core.ProviderGoogle, b2core.ProviderSMS); err != nil {
			common.Throw(rt, err)
		}
	}
	if p, ok := wrapped[*UserPicker](call.Argument(0)); ok {
		return c.signInPicked(p, so)
	}
	u, err := userArg(rt, call.Argument(0), "signIn(user)")
	if err != nil {
		common.Throw(rt, err)
	}
	res, ref := c.signInUser(u, so)
	return c.resultObject(res, func(f *resultFields) {
		f.set("session", newJSSession(rt, ref))
	})
}

func (c *Client) signInPicked(p *UserPicker, so signInOptions) sobek.Value {
	rt := c.mi.vu.Runtime()
	tries := 1
	if c.opts.OnLockout == lockoutSkip {
		tries = c.opts.SkipAttempts
	}
	var (
		res    *callResult
		ref    *sessionRef
		user   User
		picked bool
		waits  []waitRecord
	)
	for try := range tries {
		e, id, slept := p.state.next(c.mi.vu.Context(), c.mi.logger())
		if slept > 0 {
			waits = append(waits, waitRecord{reason: waitPicker, d: slept})
			c.pushWait(b2core.FlowSignIn, waitPicker, slept)
		}
		if e == nil {
			if res != nil {
				break // report the last lockout
			}
			res = &callResult{flow: b2core.FlowSignIn, outcome: b2core.OutcomeFailure, step: "pick_user",
				reason: fmt.Sprintf("UserPicker %q has no user who can sign in within maxWait %s (see the warning above)",
					p.state.name, p.state.maxWait)}
			break
		}
		user, picked = e.user, true
		res, ref = c.signInUser(user, so)
		if res.ok() && res.flow == flowSignInReset && so.NewPassword != "" {
			p.state.update(user.Email, func(u *User) { u.Password = so.NewPassword })
			user.Password = so.NewPassword
		}
		p.state.releaseAfter(user.Email, id, res.outcome, res.retryAfter, totpSent(res.steps))
		if res.outcome != b2core.OutcomeLockout || try+1 >= tries {
			break
		}
	}
	for _, w := range waits {
		res.addWait(w.reason, w.d)
	}
	return c.resultObjectWith(res, func(f *resultFields) {
		f.set("session", newJSSession(rt, ref))
	}, func(f *resultFields) {
		if picked {
			f.hide("user", newUserObject(rt, user))
		}
	})
}

// sessionOrThrow reads a required session argument.
func (c *Client) sessionOrThrow(v sobek.Value, method string) *sessionRef {
	rt := c.mi.vu.Runtime()
	ref, err := sessionArg(rt, v)
	if err == nil && ref == nil {
		err = errors.New("a session is required")
	}
	if err != nil {
		common.Throw(rt, fmt.Errorf("%s: %w", method, err))
	}
	return ref
}

func stringArg(rt *sobek.Runtime, v sobek.Value, what string) string {
	s, ok := exportOf(v).(string)
	if !ok || s == "" {
		common.Throw(rt, fmt.Errorf("%s must be a non-empty string, not %s", what, describe(v)))
	}
	return s
}

// refreshSession refreshes ref in place (used by refresh() and the pool).
func (c *Client) refreshSession(ref *sessionRef) *callResult {
	return c.runFlow(b2core.FlowRefresh, func(ctx context.Context) error {
		s := ref.get()
		if err := c.b2.RefreshFlow(ctx, &s); err != nil {
			return err
		}
		ref.set(s)
		return nil
	}, nil)
}

// Refresh refreshes a session's tokens: refresh(session). The session
// object is updated in place (the old refresh token is dead afterwards).
func (c *Client) Refresh(session sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "refresh")
	ref := c.sessionOrThrow(session, "refresh(session)")
	res := c.refreshSession(ref)
	rt := c.mi.vu.Runtime()
	return c.resultObject(res, func(f *resultFields) { f.set("session", newJSSession(rt, ref)) })
}

// SignOut signs a session out: signOut(session).
func (c *Client) SignOut(session sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "signOut")
	ref := c.sessionOrThrow(session, "signOut(session)")
	res := c.runFlow(b2core.FlowSignOut, func(ctx context.Context) error {
		s := ref.get()
		return c.b2.SignOutFlow(ctx, &s)
	}, nil)
	return c.resultObject(res, nil)
}

// Challenge runs a 2FA challenge to a success token: challenge(session,
// email) when signed in, challenge(null, email) when not. The token is
// result.token (not enumerable).
func (c *Client) Challenge(session, email sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "challenge")
	rt := c.mi.vu.Runtime()
	ref, err := sessionArg(rt, session)
	if err != nil {
		common.Throw(rt, fmt.Errorf("challenge(session, email): %w", err))
	}
	addr := stringArg(rt, email, "challenge(session, email): email")
	var tok string
	res := c.runFlow(b2core.FlowChallenge, func(ctx context.Context) error {
		var s *b2core.Session
		if ref != nil {
			cp := ref.get()
			s = &cp
		}
		t, err := c.b2.ChallengeFlow(ctx, s, addr)
		tok = t
		return err
	}, nil)
	return c.resultObject(res, func(f *resultFields) { f.hide("token", tok) })
}

// ChangePassword changes a signed-in client's password:
// changePassword(session, email, newPassword).
func (c *Client) ChangePassword(session, email, newPassword sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "changePassword")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(session, "changePassword(session, email, newPassword)")
	addr := stringArg(rt, email, "changePassword(session, email, newPassword): email")
	pw := stringArg(rt, newPassword, "changePassword(session, email, newPassword): newPassword")
	res := c.runFlow(b2core.FlowPasswordChange, func(ctx context.Context) error {
		s := ref.get()
		return c.b2.ChangePasswordFlow(ctx, &s, addr, pw)
	}, nil)
	return c.resultObject(res, nil)
}

// RestorePassword restores a password without a session:
// restorePassword(email, newPassword).
func (c *Client) RestorePassword(email, newPassword sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "restorePassword")
	rt := c.mi.vu.Runtime()
	addr := stringArg(rt, email, "restorePassword(email, newPassword): email")
	pw := stringArg(rt, newPassword, "restorePassword(email, newPassword): newPassword")
	res := c.runFlow(b2core.FlowPasswordRestore, func(ctx context.Context) error {
		return c.b2.RestorePasswordFlow(ctx, addr, pw)
	}, nil)
	return c.resultObject(res, nil)
}

// EnableGoogle enables Google 2FA: enableGoogle(session). The new base32
// secret is result.secret (not enumerable).
func (c *Client) EnableGoogle(session sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "enableGoogle")
	ref := c.sessionOrThrow(session, "enableGoogle(session)")
	var secret string
	res := c.runFlow(b2core.FlowEnableGoogle, func(ctx context.Context) error {
		s := ref.get()
		k, err := c.b2.EnableGoogleFlow(ctx, &s)
		secret = k
		return err
	}, nil)
	return c.resultObject(res, func(f *resultFields) { f.hide("secret", secret) })
}

// EnableSMS enables SMS 2FA with a phone number: enableSMS(session, phone).
func (c *Client) EnableSMS(session, phone sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "enableSMS")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(session, "enableSMS(session, phone)")
	ph := stringArg(rt, phone, "enableSMS(session, phone): phone")
	res := c.runFlow(b2core.FlowEnableSMS, func(ctx context.Context) error {
		s := ref.get()
		return c.b2.EnableSMSFlow(ctx, &s, ph)
	}, nil)
	return c.resultObject(res, nil)
}

// Disable2FA disables a 2FA method: disable2FA(session, provider, user),
// the user giving the totpSecret (google) or the phone (sms).
func (c *Client) Disable2FA(session, provider, user sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "disable2FA")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(session, "disable2FA(session, provider, user)")
	prov := stringArg(rt, provider, "disable2FA(session, provider, user): provider")
	if err := oneOf("disable2FA(session, provider, user): provider", prov, b2core.ProviderGoogle, b2core.ProviderSMS); err != nil {
		common.Throw(rt, err)
	}
	u, err := userArg(rt, user, "disable2FA(session, provider, user): user")
	if err != nil {
		common.Throw(rt, err)
	}
	res := c.runFlow(b2core.FlowDisableTFA, func(ctx context.Context) error {
		s := ref.get()
		return c.b2.DisableTFAFlow(ctx, &s, prov, credentials(u, signInOptions{}))
	}, nil)
	return c.resultObject(res, nil)
}

// QrSignIn signs a new session in through a QR channel authorized by a
// signed-in mobile session: qrSignIn(mobileSession).
func (c *Client) QrSignIn(mobile sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "qrSignIn")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(mobile, "qrSignIn(mobileSession)")
	var out *b2core.Session
	res := c.runFlow(b2core.FlowQRSignIn, func(ctx context.Context) error {
		s := ref.get()
		ns, err := c.b2.QRSignInFlow(ctx, &s)
		out = ns
		return err
	}, nil)
	return c.resultObject(res, func(f *resultFields) {
		f.set("session", newJSSession(rt, newSessionRef(out)))
		f.set("clientId", out.ClientID)
	})
}

// historyOptions are the paging, sorting and filters of the history calls.
type historyOptions struct {
	Limit     int         `js:"limit"`
	Offset    int         `js:"offset"`
	SortBy    string      `js:"sortBy"`
	SortOrder string      `js:"sortOrder"`
	IsEnabled *bool       `js:"isEnabled"`
	TimeFrom  sobek.Value `js:"timeFrom"`
	TimeTo    sobek.Value `js:"timeTo"`
	Provider  string      `js:"provider"`
}

// timeArg reads a Date, an RFC 3339 string or Unix seconds.
func timeArg(v sobek.Value, what string) (time.Time, error) {
	if common.IsNullish(v) {
		return time.Time{}, nil
	}
	switch x := v.Export().(type) {
	case time.Time:
		return x, nil
	case string:
		t, err := time.Parse(time.RFC3339, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time, a Date or Unix seconds", what)
		}
		return t, nil
	case int64:
		return time.Unix(x, 0), nil
	case float64:
		return time.UnixMilli(int64(x * 1000)), nil
	}
	return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time, a Date or Unix seconds, not %s", what, describe(v))
}

func historyQuery(rt *sobek.Runtime, v sobek.Value, what string) (b2core.HistoryQuery, error) {
	var o historyOptions
	if err := decodeOptions(rt, v, &o, what); err != nil {
		return b2core.HistoryQuery{}, err
	}
	if o.Limit < 0 || o.Offset < 0 {
		return b2core.HistoryQuery{}, fmt.Errorf("%s: limit and offset cannot be negative", what)
	}
	if o.SortOrder != "" {
		if err := oneOf(what+".sortOrder", o.SortOrder, "asc", "desc"); err != nil {
			return b2core.HistoryQuery{}, err
		}
	}
	q := b2core.HistoryQuery{Limit: o.Limit, Offset: o.Offset, SortBy: o.SortBy, SortOrder: o.SortOrder,
		IsEnabled: o.IsEnabled, Provider: o.Provider}
	var err error
	if q.TimeFrom, err = timeArg(o.TimeFrom, what+".timeFrom"); err != nil {
		return q, err
	}
	if q.TimeTo, err = timeArg(o.TimeTo, what+".timeTo"); err != nil {
		return q, err
	}
	return q, nil
}

// TfaChanges reads the 2FA change history: tfaChanges(session, {limit,
// offset, sortOrder, isEnabled, timeFrom, timeTo, provider}) → result.total,
// result.items.
func (c *Client) TfaChanges(session, query sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "tfaChanges")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(session, "tfaChanges(session, query)")
	q, err := historyQuery(rt, query, "tfaChanges query")
	if err != nil {
		common.Throw(rt, err)
	}
	var list *b2core.List[b2core.TFAChange]
	res := c.runFlow(flowTFAChanges, func(ctx context.Context) error {
		var err error
		list, err = c.b2.TFAChanges(ctx, ref.get().AccessToken, q)
		return err
	}, nil)
	return c.resultObject(res, func(f *resultFields) {
		f.set("total", list.Total)
		f.set("items", jsonValue(rt, list.Data))
	})
}

// PasswordChanges reads the password change history:
// passwordChanges(session, {limit, offset, sortOrder}) → result.total,
// result.items.
func (c *Client) PasswordChanges(session, query sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileB2Core, "passwordChanges")
	rt := c.mi.vu.Runtime()
	ref := c.sessionOrThrow(session, "passwordChanges(session, query)")
	q, err := historyQuery(rt, query, "passwordChanges query")
	if err != nil {
		common.Throw(rt, err)
	}
	var list *b2core.List[b2core.PasswordChange]
	res := c.runFlow(flowPwdChanges, func(ctx context.Context) error {
		var err error
		list, err = c.b2.PasswordChanges(ctx, ref.get().AccessToken, q)
		return err
	}, nil)
	return c.resultObject(res, func(f *resultFields) {
		f.set("total", list.Total)
		f.set("items", jsonValue(rt, list.Data))
	})
}

// capillaryOptions are the arguments of capillaryChangePassword.
type capillaryOptions struct {
	IdentifierType  string `js:"identifierType"`
	IdentifierValue string `js:"identifierValue"`
	DeviceID        string `js:"deviceId"`
	Brand           string `js:"brand"`
	Password        string `js:"password"`
	NewPassword     string `js:"newPassword"`
}

func (o capillaryOptions) check(what string, needNew bool) error {
	var missing []string
	for _, f := range []struct{ k, v string }{
		{"identifierType", o.IdentifierType}, {"identifierValue", o.IdentifierValue},
		{"deviceId", o.DeviceID}, {"brand", o.Brand}, {"password", o.Password},
	} {
		if f.v == "" {
			missing = append(missing, f.k)
		}
	}
	if needNew && o.NewPassword == "" {
		missing = append(missing, "newPassword")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s", what, strings.Join(missing, ", "))
	}
	return oneOf(what+".identifierType", o.IdentifierType, capillary.IdentifierMobile, capillary.IdentifierEmail,
		capillary.IdentifierUsername, capillary.IdentifierExternalID)
}

// CapillaryChangePassword changes a password through the Capillary MFA
// API: capillaryChangePassword({identifierType, identifierValue, deviceId,
// brand, password, newPassword}).
func (c *Client) CapillaryChangePassword(args sobek.Value) sobek.Value {
	c.requireVU()
	c.requireProfile(profileCapillary, "capillaryChangePassword")
	rt := c.mi.vu.Runtime()
	var o capillaryOptions
	err := decodeOptions(rt, args, &o, "capillaryChangePassword options")
	if err == nil {
		err = o.check("capillaryChangePassword options", true)
	}
	if err != nil {
		common.Throw(rt, err)
	}
	res := c.runFlow(capillary.FlowPasswordChange, func(ctx context.Context) error {
		return c.cap.ChangePasswordFlow(ctx, o.IdentifierType, o.IdentifierValue, o.DeviceID, o.Brand, o.Password, o.NewPassword)
	}, nil)
	return c.resultObject(res, nil)
}
