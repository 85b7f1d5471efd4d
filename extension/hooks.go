package extension

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"

	"github.com/authflow/authflow/testhooks"
)

// hooksOptions are the options of new Hooks(url, options).
type hooksOptions struct {
	Timeout time.Duration `js:"timeout"`
}

// Hooks speaks the test-hooks contract v1 (CONTRACT.md): fresh accounts,
// the codes the server sent, the lockout policy. Its calls are test
// plumbing: they use the VU's network settings but are not measured in
// http_req_*. Failures throw: a setup() that cannot create its accounts
// should stop the test.
type Hooks struct {
	mi     *ModuleInstance
	client *testhooks.HooksClient
	// URL is the hooks' base URL.
	URL string `js:"url"`
}

// newHooks implements new Hooks(url[, {timeout}]).
func (mi *ModuleInstance) newHooks(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	u, _ := call.Argument(0).Export().(string)
	u = strings.TrimRight(u, "/")
	if err := checkBaseURL(u, "new Hooks(url): url"); err != nil {
		common.Throw(rt, err)
	}
	o := hooksOptions{Timeout: 10 * time.Second}
	if err := decodeOptions(rt, call.Argument(1), &o, "Hooks options"); err != nil {
		common.Throw(rt, err)
	}
	raw := &rawTransport{vu: mi.vu, baseURL: u, timeout: o.Timeout}
	h := &Hooks{mi: mi, client: testhooks.New(u, raw), URL: u}
	return rt.ToValue(h).ToObject(rt)
}

func (h *Hooks) ctx() context.Context {
	if h.mi.vu.State() == nil {
		common.Throw(h.mi.vu.Runtime(), errInitContext)
	}
	return h.mi.vu.Context()
}

func (h *Hooks) throw(method string, err error) {
	common.Throw(h.mi.vu.Runtime(), fmt.Errorf("hooks.%s: %w", method, err))
}

// createOptions are the options of createClient.
type createOptions struct {
	TwoFactor     []string `js:"twoFactor"`
	ResetRequired bool     `js:"resetRequired"`
}

func (h *Hooks) create(ctx context.Context, o createOptions) (User, error) {
	c, err := h.client.CreateClient(ctx, testhooks.CreateClientRequest{TwoFactor: o.TwoFactor, ResetRequired: o.ResetRequired})
	if err != nil {
		return User{}, err
	}
	u := User{ID: c.ID, Email: c.Email, Password: c.Password, Username: c.Username, ExternalID: c.ExternalID,
		TwoFactor: append([]string{}, o.TwoFactor...)}
	if c.TOTPSecret != nil {
		u.TOTPSecret = *c.TOTPSecret
	}
	if c.Phone != nil {
		u.Phone = *c.Phone
	}
	return u, nil
}

func (h *Hooks) createOpts(v sobek.Value, method string) createOptions {
	rt := h.mi.vu.Runtime()
	var o createOptions
	if err := decodeOptions(rt, v, &o, "hooks."+method+" options"); err != nil {
		common.Throw(rt, err)
	}
	for _, m := range o.TwoFactor {
		if err := oneOf("hooks."+method+" options.twoFactor[]", m, "google", "sms"); err != nil {
			common.Throw(rt, err)
		}
	}
	return o
}

// CreateClient creates an account: createClient({twoFactor: [] | ['google']
// | ['sms'] | ['google','sms'], resetRequired}) → user.
func (h *Hooks) CreateClient(opts sobek.Value) sobek.Value {
	ctx := h.ctx()
	o := h.createOpts(opts, "createClient")
	u, err := h.create(ctx, o)
	if err != nil {
		h.throw("createClient", err)
	}
	return newUserObject(h.mi.vu.Runtime(), u)
}

// CreateClients creates n accounts alike: createClients(n, options) → users.
func (h *Hooks) CreateClients(n sobek.Value, opts sobek.Value) sobek.Value {
	ctx := h.ctx()
	rt := h.mi.vu.Runtime()
	count, err := toInt(n)
	if err != nil || count < 1 || count > 100000 {
		h.throw("createClients", errors.New("n must be an integer from 1 to 100000"))
	}
	o := h.createOpts(opts, "createClients")
	out := make([]any, 0, count)
	for range count {
		u, err := h.create(ctx, o)
		if err != nil {
			h.throw("createClients", err)
		}
		out = append(out, newUserObject(rt, u))
	}
	return rt.NewArray(out...)
}

// LatestMessage returns the last code sent to an email or phone:
// latestMessage(to) → {to, channel, code, sentAt}, or null when none was.
func (h *Hooks) LatestMessage(toArg sobek.Value) sobek.Value {
	ctx := h.ctx()
	rt := h.mi.vu.Runtime()
	to := stringArg(rt, toArg, "hooks.latestMessage(to): to")
	m, err := h.client.LatestMessage(ctx, to)
	if errors.Is(err, testhooks.ErrNoMessage) {
		return sobek.Null()
	}
	if err != nil {
		h.throw("latestMessage", err)
	}
	o := rt.NewObject()
	_ = o.Set("to", m.To)
	_ = o.Set("channel", m.Channel)
	hidden(rt, o, "code", m.Code)
	_ = o.Set("sentAt", m.SentAt)
	return o
}

// MarkResetRequired makes the next sign-in of a client answer
// reset_password_email: markResetRequired(id).
func (h *Hooks) MarkResetRequired(id sobek.Value) {
	ctx := h.ctx()
	n, err := toInt(id)
	if err != nil {
		h.throw("markResetRequired", fmt.Errorf("id %w", err))
	}
	if err := h.client.MarkResetRequired(ctx, n); err != nil {
		h.throw("markResetRequired", err)
	}
}

func policyToJS(rt *sobek.Runtime, p *testhooks.Policy) sobek.Value { return jsonValue(rt, p) }

// GetPolicy returns the policy in force: {signin: {attempts, windowSeconds,
// blockSeconds}, refresh: {...}}.
func (h *Hooks) GetPolicy() sobek.Value {
	ctx := h.ctx()
	p, err := h.client.GetPolicy(ctx)
	if err != nil {
		h.throw("getPolicy", err)
	}
	return policyToJS(h.mi.vu.Runtime(), p)
}

// policyOptions is the argument of setPolicy.
type policyOptions struct {
	SignIn  *Limit `js:"signin"`
	Refresh *Limit `js:"refresh"`
}

// SetPolicy changes the policy (e.g. a block of seconds for a test) and
// returns the policy now in force: setPolicy({signin, refresh}). A part
// left out keeps its current value.
func (h *Hooks) SetPolicy(v sobek.Value) sobek.Value {
	ctx := h.ctx()
	rt := h.mi.vu.Runtime()
	var o policyOptions
	if err := decodeOptions(rt, v, &o, "hooks.setPolicy policy"); err != nil {
		common.Throw(rt, err)
	}
	cur, err := h.client.GetPolicy(ctx)
	if err != nil {
		h.throw("setPolicy", err)
	}
	p := *cur
	if o.SignIn != nil {
		p.SignIn = testhooks.Limit(*o.SignIn)
	}
	if o.Refresh != nil {
		p.Refresh = testhooks.Limit(*o.Refresh)
	}
	np, err := h.client.PutPolicy(ctx, p)
	if err != nil {
		h.throw("setPolicy", err)
	}
	return policyToJS(rt, np)
}

// Available reports whether the hooks answer (GET /policy): a script can
// tell "no test deployment here" from a failure.
func (h *Hooks) Available() bool {
	ctx := h.ctx()
	_, err := h.client.GetPolicy(ctx)
	return err == nil
}
