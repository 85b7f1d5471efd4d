package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/authflow/authflow/b2core"
)

// The suite speaks the test-hooks contract v1 (CONTRACT.md) with its own
// small client: it needs every hook exchange as evidence, and must tell a
// hook the deployment does not offer (404/501: the check SKIPs) from one
// that failed (ERROR).

// account is a fresh client made through POST {hooks}/clients.
type account struct {
	ID         int64
	Email      string
	Password   string // the current password (checks that change it update it)
	TOTPSecret string
	Phone      string
	totp       *totpSeq
}

// hookUnsupported reports whether a hook answered as not offered.
func hookUnsupported(x *X) bool {
	return x.Status() == http.StatusNotFound || x.Status() == http.StatusNotImplemented
}

// needHooks SKIPs the check when the run has no hooks URL.
func (t *T) needHooks(what string) {
	if t.r.hooks == nil {
		t.skipAs(SkipHooks, "%s needs the test hooks (CONTRACT.md, contract v1); no hooks URL is configured", what)
	}
}

// newAccount creates a fresh account with the given 2FA methods.
func (t *T) newAccount(twoFactor ...string) *account {
	return t.createAccount(twoFactor, false)
}

func (t *T) createAccount(twoFactor []string, resetRequired bool) *account {
	t.needHooks("creating a fresh account")
	if twoFactor == nil {
		twoFactor = []string{}
	}
	x := t.call("hooks: create client", http.MethodPost, "/clients",
		map[string]any{"twoFactor": twoFactor, "resetRequired": resetRequired}, toHooks())
	if hookUnsupported(x) {
		t.skipAs(SkipHooks, "test hook POST /clients is not supported (%s)", x.StatusText())
	}
	if x.Status() != http.StatusCreated && x.Status() != http.StatusOK {
		t.Errorf("test hook POST /clients failed: %s", x.StatusText())
	}
	v, err := x.JSON()
	if err != nil {
		t.Errorf("test hook POST /clients answered no JSON: %v", err)
	}
	a := &account{Email: jstr(v, "email"), Password: jstr(v, "password"), TOTPSecret: jstr(v, "totpSecret"), Phone: jstr(v, "phone")}
	id, ok := jint(v, "id")
	if !ok || a.Email == "" || a.Password == "" {
		t.Errorf("test hook POST /clients answered without id, email or password")
	}
	a.ID = id
	t.secret(a.Password, a.TOTPSecret)
	for _, m := range twoFactor {
		switch m {
		case "google":
			if a.TOTPSecret == "" {
				t.Errorf("test hook POST /clients made a Google 2FA client without totpSecret")
			}
		case "sms":
			if a.Phone == "" {
				t.Errorf("test hook POST /clients made an SMS 2FA client without phone")
			}
		}
	}
	if a.TOTPSecret != "" {
		seq, err := newTOTPSeq(a.TOTPSecret)
		if err != nil {
			t.Errorf("test hook POST /clients: %v", err)
		}
		a.totp = seq
	}
	return a
}

// markResetRequired asks that the account's next sign-in answer
// reset_password_email (POST {hooks}/clients/{id}/reset-required).
func (t *T) markResetRequired(a *account) {
	x := t.call("hooks: reset required", http.MethodPost, "/clients/"+strconv.FormatInt(a.ID, 10)+"/reset-required", nil, toHooks())
	if hookUnsupported(x) {
		t.skipAs(SkipHooks, "test hook POST /clients/{id}/reset-required is not supported (%s)", x.StatusText())
	}
	if !x.Is2xx() {
		t.Errorf("test hook POST /clients/{id}/reset-required failed: %s", x.StatusText())
	}
}

// message is the latest message the hooks know for an address.
type message struct {
	to, code, sentAt string
	exists           bool
}

// latestMessage reads GET {hooks}/messages/latest?to=.
func (t *T) latestMessage(to string) message {
	x := t.call("hooks: latest message", http.MethodGet, "/messages/latest?to="+url.QueryEscape(to), nil, toHooks())
	switch {
	case x.Status() == http.StatusNotImplemented:
		t.skipAs(SkipHooks, "test hook GET /messages/latest is not supported (%s)", x.StatusText())
	case x.Status() == http.StatusNotFound:
		return message{to: to}
	case x.Status() != http.StatusOK:
		t.Errorf("test hook GET /messages/latest failed: %s", x.StatusText())
	}
	v, err := x.JSON()
	if err != nil {
		t.Errorf("test hook GET /messages/latest answered no JSON: %v", err)
	}
	m := message{to: to, code: jstr(v, "code"), sentAt: jstr(v, "sentAt"), exists: true}
	t.secret(m.code)
	return m
}

// codeMark remembers the latest message to an address before a step that
// should send a new one.
type codeMark struct {
	to   string
	prev message
}

// markCodes reads the latest message to `to` (before a step sends one).
func (t *T) markCodes(to string) codeMark {
	t.needHooks("reading the codes the server sends")
	t.r.probeMessages(t)
	return codeMark{to: to, prev: t.latestMessage(to)}
}

// awaitCode polls the hooks until a message newer than the mark arrives
// and returns its code. If none comes within timeouts.code the check ends:
// as ERROR in a setup step, or with the failure the caller words (when
// what is non-empty, a FAIL: the server did not send the code the check is
// about).
func (t *T) awaitCode(m codeMark, what string) string {
	deadline := time.Now().Add(t.r.cfg.Timeouts.Code.D())
	for {
		cur := t.latestMessage(m.to)
		if cur.exists && (!m.prev.exists || cur.sentAt != m.prev.sentAt || cur.code != m.prev.code) {
			if cur.code == "" {
				t.Errorf("test hook GET /messages/latest answered a message without code")
			}
			return cur.code
		}
		if time.Now().After(deadline) {
			if what != "" {
				t.FailNow("%s: no code was sent to the address within %s (GET {hooks}/messages/latest)", what, t.r.cfg.Timeouts.Code)
			}
			t.Errorf("setup: no code was sent to the address within %s (GET {hooks}/messages/latest)", t.r.cfg.Timeouts.Code)
		}
		t.sleep(50 * time.Millisecond)
	}
}

// probeMessages decides once per run whether GET {hooks}/messages/latest
// works: a 404 also means "none sent", so the suite has a code sent to a
// fresh account (an unauthorized 2FA challenge) and looks for it. If the
// hook never shows it, every check that needs a code SKIPs.
func (r *run) probeMessages(t *T) {
	r.msgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*r.cfg.Timeouts.Request.D()+r.cfg.Timeouts.Code.D())
		defer cancel()
		r.msgOK, r.msgReason = r.runMessagesProbe(ctx)
		if r.msgOK {
			r.note("test hook GET /messages/latest works (probe: a code sent by an unauthorized 2FA challenge was found)")
		} else {
			r.note("test hook GET /messages/latest: " + r.msgReason)
		}
	})
	if !r.msgOK {
		t.skipAs(SkipHooks, "reading sent codes: %s", r.msgReason)
	}
}

func (r *run) runMessagesProbe(ctx context.Context) (bool, string) {
	do := func(method, path string, body any, hooks bool) (*b2core.Response, error) {
		tr := r.api
		if hooks {
			tr = r.hooks
		}
		return tr.Do(ctx, &b2core.Request{Flow: "conformance", Step: "probe", Method: method, Path: path, Body: encodeBody(body)})
	}
	resp, err := do(http.MethodPost, "/clients", map[string]any{"twoFactor": []string{}, "resetRequired": false}, true)
	if err != nil || (resp.Status != http.StatusCreated && resp.Status != http.StatusOK) {
		// POST /clients itself fails: the checks will SKIP or ERROR on it.
		return true, ""
	}
	var c struct {
		Email string `json:"email"`
	}
	if json.Unmarshal(resp.Body, &c) != nil || c.Email == "" {
		return true, ""
	}
	first, err := do(http.MethodGet, "/messages/latest?to="+url.QueryEscape(c.Email), nil, true)
	if err != nil {
		return true, ""
	}
	if first.Status == http.StatusNotImplemented {
		return false, fmt.Sprintf("the hook is not supported (HTTP %d)", first.Status)
	}
	ch, err := do(http.MethodGet, b2core.APIPrefix+"/2fa/unauthorized/challenge?email="+url.QueryEscape(c.Email), nil, false)
	if err != nil || ch.Status/100 != 2 {
		// The challenge is broken: the checks on it will say so; assume
		// the hook works so that code checks fail rather than skip.
		return true, ""
	}
	deadline := time.Now().Add(r.cfg.Timeouts.Code.D())
	for {
		m, err := do(http.MethodGet, "/messages/latest?to="+url.QueryEscape(c.Email), nil, true)
		if err == nil && m.Status == http.StatusOK {
			return true, ""
		}
		if time.Now().After(deadline) {
			status := 0
			if m != nil {
				status = m.Status
			}
			return false, fmt.Sprintf("no code could be read for a fresh account after GET /2fa/unauthorized/challenge (hook answered HTTP %d): the hook is not supported or the server sends no email codes", status)
		}
		select {
		case <-ctx.Done():
			return true, ""
		case <-time.After(50 * time.Millisecond):
		}
	}
}
