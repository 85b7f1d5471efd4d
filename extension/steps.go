package extension

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
)

// Steps exposes each call of the API on its own (client.steps.X), so that a
// script can interleave its own logic, send a wrong code on purpose or stop
// half-way (a lockout probe). Each returns a result object like the flows'
// ({ok, outcome, step, status, reason, durationMs, retryAfter, ...}) plus
// the step's own fields. Every step takes an optional last argument
// {expectedStatuses, tags}: expectedStatuses (as k6's http.expectedStatuses:
// statuses and {min, max}) marks which answers are not http_req_failed, for
// a step that is meant to be refused.
type Steps struct {
	c *Client
}

// stepParams are the optional last argument of a step.
type stepParams struct {
	ExpectedStatuses sobek.Value       `js:"expectedStatuses"`
	Tags             map[string]string `js:"tags"`
}

// run runs one step: nargs is the number of the step's own arguments (the
// params object follows them).
func (s *Steps) run(call sobek.FunctionCall, nargs int, profile, method string,
	fn func(ctx context.Context) (func(f *resultFields), error),
) sobek.Value {
	c := s.c
	c.requireVU()
	c.requireProfile(profile, "steps."+method)
	rt := c.mi.vu.Runtime()
	var p stepParams
	if err := decodeOptions(rt, call.Argument(nargs), &p, "steps."+method+" params"); err != nil {
		common.Throw(rt, err)
	}
	ci := &callInfo{}
	if !common.IsNullish(p.ExpectedStatuses) {
		exp, err := parseExpected(p.ExpectedStatuses, "steps."+method+" params.expectedStatuses")
		if err != nil {
			common.Throw(rt, err)
		}
		ci.expected = exp
	}
	var extra func(f *resultFields)
	res, rec := c.execTagged(ci, p.Tags, func(ctx context.Context) error {
		var err error
		extra, err = fn(ctx)
		return err
	})
	c.finishStep(res, rec)
	return c.resultObject(res, extra)
}

// execTagged is exec for a step, with the step's extra tags.
func (c *Client) execTagged(ci *callInfo, tags map[string]string, fn func(ctx context.Context) error) (*callResult, *recorder) {
	if len(tags) == 0 {
		return c.exec("", ci, fn)
	}
	saved := c.transport.tags
	merged := make(map[string]string, len(saved)+len(tags))
	for k, v := range saved {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	c.transport.tags = merged // a VU runs one call at a time
	defer func() { c.transport.tags = saved }()
	return c.exec("", ci, fn)
}

func (s *Steps) rt() *sobek.Runtime { return s.c.mi.vu.Runtime() }

func (s *Steps) str(v sobek.Value, what string) string { return stringArg(s.rt(), v, what) }

func (s *Steps) session(v sobek.Value, what string) *sessionRef { return s.c.sessionOrThrow(v, what) }

// setWizard sets the fields every wizard answer has.
func setWizard(f *resultFields, uuid, workflow string, done bool) {
	f.set("uuid", uuid)
	f.set("workflow", workflow)
	f.set("done", done)
}

// SignInWizard starts a Sign In Wizard session: signInWizard() → {uuid, workflow, recaptcha, isQrAvailable, isPasswordRecoveryAvailable}.
func (s *Steps) SignInWizard(call sobek.FunctionCall) sobek.Value {
	return s.run(call, 0, profileB2Core, "signInWizard", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.SignInWizard(ctx)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) {
			setWizard(f, w.UUID, w.Workflow, w.Done)
			f.set("recaptcha", w.Data.Recaptcha.Enabled)
			f.set("isQrAvailable", w.Data.IsQRAvailable)
			f.set("isPasswordRecoveryAvailable", w.Data.IsPasswordRecoveryAvailable)
		}, nil
	})
}

// SignIn posts credentials: signIn(uuid, email, password) → {uuid, workflow, done, tfaProviders, session?}.
func (s *Steps) SignIn(call sobek.FunctionCall) sobek.Value {
	uuid := s.str(call.Argument(0), "steps.signIn(uuid, email, password): uuid")
	email := s.str(call.Argument(1), "steps.signIn(uuid, email, password): email")
	pw := s.str(call.Argument(2), "steps.signIn(uuid, email, password): password")
	return s.run(call, 3, profileB2Core, "signIn", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.SignIn(ctx, uuid, email, pw)
		if err != nil {
			return nil, err
		}
		rt := s.rt()
		return func(f *resultFields) {
			setWizard(f, w.UUID, w.Workflow, w.Done)
			f.set("tfaProviders", jsonValue(rt, w.Data.TFAProviders))
			if w.Workflow == b2core.WorkflowLogin {
				sess := b2core.SessionFromTokens(b2core.Tokens{AccessToken: w.Data.AccessToken, RefreshToken: w.Data.RefreshToken})
				f.set("session", newJSSession(rt, newSessionRef(sess)))
			}
		}, nil
	})
}

// Choose2FA picks the 2FA method: choose2FA(uuid, type) → {uuid, workflow}.
func (s *Steps) Choose2FA(call sobek.FunctionCall) sobek.Value {
	uuid := s.str(call.Argument(0), "steps.choose2FA(uuid, type): uuid")
	typ := s.str(call.Argument(1), "steps.choose2FA(uuid, type): type")
	return s.run(call, 2, profileB2Core, "choose2FA", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.Choose2FA(ctx, uuid, typ)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setWizard(f, w.UUID, w.Workflow, w.Done) }, nil
	})
}

// SubmitCode completes a sign-in with a 2FA code: submitCode(uuid, type, code) → {session}.
func (s *Steps) SubmitCode(call sobek.FunctionCall) sobek.Value {
	uuid := s.str(call.Argument(0), "steps.submitCode(uuid, type, code): uuid")
	typ := s.str(call.Argument(1), "steps.submitCode(uuid, type, code): type")
	code := s.str(call.Argument(2), "steps.submitCode(uuid, type, code): code")
	return s.run(call, 3, profileB2Core, "submitCode", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.Submit2FACode(ctx, uuid, typ, code)
		if err != nil {
			return nil, err
		}
		rt := s.rt()
		return func(f *resultFields) {
			setWizard(f, w.UUID, w.Workflow, w.Done)
			f.set("session", newJSSession(rt, newSessionRef(b2core.SessionFromTokens(w.Data))))
		}, nil
	})
}

// SignInRestore sends the emailed code of a required reset: signInRestore(uuid, code).
func (s *Steps) SignInRestore(call sobek.FunctionCall) sobek.Value {
	uuid := s.str(call.Argument(0), "steps.signInRestore(uuid, code): uuid")
	code := s.str(call.Argument(1), "steps.signInRestore(uuid, code): code")
	return s.run(call, 2, profileB2Core, "signInRestore", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.SignInRestore(ctx, uuid, code)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setWizard(f, w.UUID, w.Workflow, w.Done) }, nil
	})
}

// SignInReset sets the new password of a required reset: signInReset(uuid, newPassword) → {clientId}.
func (s *Steps) SignInReset(call sobek.FunctionCall) sobek.Value {
	uuid := s.str(call.Argument(0), "steps.signInReset(uuid, newPassword): uuid")
	pw := s.str(call.Argument(1), "steps.signInReset(uuid, newPassword): newPassword")
	return s.run(call, 2, profileB2Core, "signInReset", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.SignInReset(ctx, uuid, pw)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) {
			setWizard(f, w.UUID, w.Workflow, w.Done)
			f.set("clientId", w.Data.Client.ID)
		}, nil
	})
}

// Refresh trades the session's refresh token for a new pair, updating the
// session in place: refresh(session).
func (s *Steps) Refresh(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.refresh(session)")
	return s.run(call, 1, profileB2Core, "refresh", func(ctx context.Context) (func(*resultFields), error) {
		cur := ref.get()
		t, err := s.c.b2.Refresh(ctx, cur.RefreshToken)
		if err != nil {
			return nil, err
		}
		ns := b2core.SessionFromTokens(*t)
		ns.ClientID = cur.ClientID
		ref.set(*ns)
		rt := s.rt()
		return func(f *resultFields) { f.set("session", newJSSession(rt, ref)) }, nil
	})
}

// SignOut revokes a session: signOut(session).
func (s *Steps) SignOut(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.signOut(session)")
	return s.run(call, 1, profileB2Core, "signOut", func(ctx context.Context) (func(*resultFields), error) {
		return nil, s.c.b2.SignOut(ctx, ref.get().AccessToken)
	})
}

// QrChannel opens a QR sign-in channel: qrChannel() → {channelId, lifetimeMinutes}.
func (s *Steps) QrChannel(call sobek.FunctionCall) sobek.Value {
	return s.run(call, 0, profileB2Core, "qrChannel", func(ctx context.Context) (func(*resultFields), error) {
		ch, err := s.c.b2.QRChannel(ctx)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) {
			f.set("channelId", ch.ID)
			f.set("lifetimeMinutes", ch.LifetimeMinutes)
		}, nil
	})
}

// QrAuthorize authorizes a channel from a signed-in mobile session:
// qrAuthorize(session, channelId) → {authorizationToken} (not enumerable).
func (s *Steps) QrAuthorize(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.qrAuthorize(session, channelId)")
	ch := s.str(call.Argument(1), "steps.qrAuthorize(session, channelId): channelId")
	return s.run(call, 2, profileB2Core, "qrAuthorize", func(ctx context.Context) (func(*resultFields), error) {
		tok, err := s.c.b2.QRAuthorize(ctx, ref.get().AccessToken, ch)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { f.hide("authorizationToken", tok) }, nil
	})
}

// QrSignIn signs in with an authorization token: qrSignIn(authorizationToken) → {session, clientId}.
func (s *Steps) QrSignIn(call sobek.FunctionCall) sobek.Value {
	tok := s.str(call.Argument(0), "steps.qrSignIn(authorizationToken): authorizationToken")
	return s.run(call, 1, profileB2Core, "qrSignIn", func(ctx context.Context) (func(*resultFields), error) {
		r, err := s.c.b2.QRSignIn(ctx, tok)
		if err != nil {
			return nil, err
		}
		rt := s.rt()
		return func(f *resultFields) {
			sess := b2core.SessionFromTokens(r.Tokens)
			sess.ClientID = r.ClientID
			f.set("session", newJSSession(rt, newSessionRef(sess)))
			f.set("clientId", r.ClientID)
		}, nil
	})
}

func setChallenge(f *resultFields, ch *b2core.ChallengeResponse, success bool) {
	tok := ch.Token
	if success {
		tok = ch.SuccessTokenValue()
	}
	f.hide("token", tok)
	f.set("expiresAt", ch.ExpiresAt)
}

// StartChallenge starts an authorized 2FA challenge (a code goes to the
// client's email): startChallenge(session) → {token, expiresAt}.
func (s *Steps) StartChallenge(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.startChallenge(session)")
	return s.run(call, 1, profileB2Core, "startChallenge", func(ctx context.Context) (func(*resultFields), error) {
		ch, err := s.c.b2.StartChallenge(ctx, ref.get().AccessToken)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setChallenge(f, ch, false) }, nil
	})
}

// StartUnauthorizedChallenge starts a challenge without a session:
// startUnauthorizedChallenge(email) → {token, expiresAt}.
func (s *Steps) StartUnauthorizedChallenge(call sobek.FunctionCall) sobek.Value {
	email := s.str(call.Argument(0), "steps.startUnauthorizedChallenge(email): email")
	return s.run(call, 1, profileB2Core, "startUnauthorizedChallenge", func(ctx context.Context) (func(*resultFields), error) {
		ch, err := s.c.b2.StartUnauthorizedChallenge(ctx, email)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setChallenge(f, ch, false) }, nil
	})
}

// CompleteChallenge trades the confirmation token and the code for a
// success token: completeChallenge(session|null, token, code) → {token, expiresAt}.
func (s *Steps) CompleteChallenge(call sobek.FunctionCall) sobek.Value {
	rt := s.rt()
	ref, err := sessionArg(rt, call.Argument(0))
	if err != nil {
		common.Throw(rt, fmt.Errorf("steps.completeChallenge(session, token, code): %w", err))
	}
	tok := s.str(call.Argument(1), "steps.completeChallenge(session, token, code): token")
	code := s.str(call.Argument(2), "steps.completeChallenge(session, token, code): code")
	return s.run(call, 3, profileB2Core, "completeChallenge", func(ctx context.Context) (func(*resultFields), error) {
		bearer := ""
		if ref != nil {
			bearer = ref.get().AccessToken
		}
		ch, err := s.c.b2.CompleteChallenge(ctx, bearer, tok, code)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setChallenge(f, ch, true) }, nil
	})
}

// TfaStatus lists the 2FA methods: tfaStatus(session) → {total, items}.
func (s *Steps) TfaStatus(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.tfaStatus(session)")
	return s.run(call, 1, profileB2Core, "tfaStatus", func(ctx context.Context) (func(*resultFields), error) {
		l, err := s.c.b2.TFAStatus(ctx, ref.get().AccessToken)
		if err != nil {
			return nil, err
		}
		rt := s.rt()
		return func(f *resultFields) {
			f.set("total", l.Total)
			f.set("items", jsonValue(rt, l.Data))
		}, nil
	})
}

// TfaMethod reads one 2FA method: tfaMethod(session, provider) → {method}.
func (s *Steps) TfaMethod(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.tfaMethod(session, provider)")
	prov := s.str(call.Argument(1), "steps.tfaMethod(session, provider): provider")
	return s.run(call, 2, profileB2Core, "tfaMethod", func(ctx context.Context) (func(*resultFields), error) {
		m, err := s.c.b2.TFAMethod(ctx, ref.get().AccessToken, prov)
		if err != nil {
			return nil, err
		}
		rt := s.rt()
		return func(f *resultFields) { f.set("method", jsonValue(rt, m)) }, nil
	})
}

// TfaEnableWizard starts enabling a method: tfaEnableWizard(session,
// provider) → {uuid, workflow, key} (key, the new TOTP secret, is not enumerable).
func (s *Steps) TfaEnableWizard(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.tfaEnableWizard(session, provider)")
	prov := s.str(call.Argument(1), "steps.tfaEnableWizard(session, provider): provider")
	return s.run(call, 2, profileB2Core, "tfaEnableWizard", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.TFAEnableWizard(ctx, ref.get().AccessToken, prov)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) {
			setWizard(f, w.UUID, w.Workflow, w.Done)
			if w.Data != nil {
				f.hide("key", w.Data.Key)
			}
		}, nil
	})
}

// TfaDisableWizard starts disabling a method: tfaDisableWizard(session, provider) → {uuid, workflow}.
func (s *Steps) TfaDisableWizard(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.tfaDisableWizard(session, provider)")
	prov := s.str(call.Argument(1), "steps.tfaDisableWizard(session, provider): provider")
	return s.run(call, 2, profileB2Core, "tfaDisableWizard", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.TFADisableWizard(ctx, ref.get().AccessToken, prov)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setWizard(f, w.UUID, w.Workflow, w.Done) }, nil
	})
}

// wizardRequest is the body of tfaWizard.
type wizardRequest struct {
	UUID   string `js:"uuid"`
	Action string `js:"action"`
	Code   string `js:"code"`
	Key    string `js:"key"`
	Phone  string `js:"phone"`
}

// TfaWizard posts one step of an enable or disable wizard:
// tfaWizard(session, {uuid, action, code, key, phone}) → {uuid, workflow, done}.
func (s *Steps) TfaWizard(call sobek.FunctionCall) sobek.Value {
	rt := s.rt()
	ref := s.session(call.Argument(0), "steps.tfaWizard(session, request)")
	var wr wizardRequest
	if err := decodeOptions(rt, call.Argument(1), &wr, "steps.tfaWizard request"); err != nil {
		common.Throw(rt, err)
	}
	return s.run(call, 2, profileB2Core, "tfaWizard", func(ctx context.Context) (func(*resultFields), error) {
		w, err := s.c.b2.TFAWizard(ctx, ref.get().AccessToken, b2core.TFAWizardRequest{
			UUID: wr.UUID, Action: wr.Action, Code: wr.Code, Key: wr.Key, Phone: wr.Phone})
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { setWizard(f, w.UUID, w.Workflow, w.Done) }, nil
	})
}

// TfaChanges reads a page of the 2FA history: tfaChanges(session, query) → {total, items}.
func (s *Steps) TfaChanges(call sobek.FunctionCall) sobek.Value {
	return historyPage(s, call, "tfaChanges", s.c.b2.TFAChanges)
}

// TfaChange reads one 2FA history record: tfaChange(session, id) → {item}.
func (s *Steps) TfaChange(call sobek.FunctionCall) sobek.Value {
	return historyRecord(s, call, "tfaChange", s.c.b2.TFAChange)
}

// ChangePassword changes the password with a success token:
// changePassword(session, successToken, newPassword).
func (s *Steps) ChangePassword(call sobek.FunctionCall) sobek.Value {
	ref := s.session(call.Argument(0), "steps.changePassword(session, successToken, newPassword)")
	tok := s.str(call.Argument(1), "steps.changePassword(session, successToken, newPassword): successToken")
	pw := s.str(call.Argument(2), "steps.changePassword(session, successToken, newPassword): newPassword")
	return s.run(call, 3, profileB2Core, "changePassword", func(ctx context.Context) (func(*resultFields), error) {
		return nil, s.c.b2.ChangePassword(ctx, ref.get().AccessToken, tok, pw)
	})
}

// RestorePassword restores the password with a success token:
// restorePassword(successToken, newPassword).
func (s *Steps) RestorePassword(call sobek.FunctionCall) sobek.Value {
	tok := s.str(call.Argument(0), "steps.restorePassword(successToken, newPassword): successToken")
	pw := s.str(call.Argument(1), "steps.restorePassword(successToken, newPassword): newPassword")
	return s.run(call, 2, profileB2Core, "restorePassword", func(ctx context.Context) (func(*resultFields), error) {
		return nil, s.c.b2.RestorePassword(ctx, tok, pw)
	})
}

// PasswordChanges reads a page of the password history: passwordChanges(session, query) → {total, items}.
func (s *Steps) PasswordChanges(call sobek.FunctionCall) sobek.Value {
	return historyPage(s, call, "passwordChanges", s.c.b2.PasswordChanges)
}

// PasswordChange reads one password history record: passwordChange(session, id) → {item}.
func (s *Steps) PasswordChange(call sobek.FunctionCall) sobek.Value {
	return historyRecord(s, call, "passwordChange", s.c.b2.PasswordChange)
}

// historyPage runs a history list step, name(session, query) → {total, items};
// the 2FA and the password history differ only in the call and the record type.
func historyPage[T any](s *Steps, call sobek.FunctionCall, name string,
	fetch func(context.Context, string, b2core.HistoryQuery) (*b2core.List[T], error),
) sobek.Value {
	rt := s.rt()
	ref := s.session(call.Argument(0), "steps."+name+"(session, query)")
	q, err := historyQuery(rt, call.Argument(1), "steps."+name+" query")
	if err != nil {
		common.Throw(rt, err)
	}
	return s.run(call, 2, profileB2Core, name, func(ctx context.Context) (func(*resultFields), error) {
		l, err := fetch(ctx, ref.get().AccessToken, q)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) {
			f.set("total", l.Total)
			f.set("items", jsonValue(rt, l.Data))
		}, nil
	})
}

// historyRecord runs a history record step, name(session, id) → {item}.
func historyRecord[T any](s *Steps, call sobek.FunctionCall, name string,
	fetch func(context.Context, string, int64) (*T, error),
) sobek.Value {
	rt := s.rt()
	ref := s.session(call.Argument(0), "steps."+name+"(session, id)")
	id, err := toInt(call.Argument(1))
	if err != nil {
		common.Throw(rt, fmt.Errorf("steps.%s(session, id): id %w", name, err))
	}
	return s.run(call, 2, profileB2Core, name, func(ctx context.Context) (func(*resultFields), error) {
		r, err := fetch(ctx, ref.get().AccessToken, id)
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { f.set("item", jsonValue(rt, r)) }, nil
	})
}

// ReadCode asks the client's code source for the code last sent to a
// recipient: readCode(to, channel) → {code} (not enumerable). Channel is
// 'sms' or 'email'. Nothing is sent to the API under test.
func (s *Steps) ReadCode(call sobek.FunctionCall) sobek.Value {
	rt := s.rt()
	to := s.str(call.Argument(0), "steps.readCode(to, channel): to")
	ch := s.str(call.Argument(1), "steps.readCode(to, channel): channel")
	if err := oneOf("steps.readCode(to, channel): channel", ch, b2core.ChannelSMS, b2core.ChannelEmail); err != nil {
		common.Throw(rt, err)
	}
	since := time.Now().Add(-time.Minute)
	if !common.IsNullish(call.Argument(2)) {
		t, err := timeArg(call.Argument(2), "steps.readCode(to, channel, since): since")
		if err != nil {
			common.Throw(rt, err)
		}
		since = t
	}
	return s.run(call, 3, s.c.opts.Profile, "readCode", func(ctx context.Context) (func(*resultFields), error) {
		src := s.c.b2.Config().Codes
		if src == nil {
			return nil, &b2core.StepError{Flow: b2core.StepFlow, Step: "read_code", Outcome: b2core.OutcomeFailure,
				Reason: "no code source configured (Client options.codes)"}
		}
		start := time.Now()
		code, err := src.Code(ctx, b2core.CodeQuery{To: to, Channel: ch, Since: since})
		b2core.NoteWait(ctx, b2core.WaitCodePoll, time.Since(start))
		if err != nil {
			return nil, &b2core.StepError{Flow: b2core.StepFlow, Step: "read_code", Outcome: b2core.OutcomeFailure,
				Reason: "no " + ch + " code", Err: err}
		}
		return func(f *resultFields) { f.hide("code", code) }, nil
	})
}

// CapillaryValidate validates the current password for an MFA token:
// capillaryValidate({identifierType, identifierValue, deviceId, brand, password}) → {token} (not enumerable).
func (s *Steps) CapillaryValidate(call sobek.FunctionCall) sobek.Value {
	rt := s.rt()
	var o capillaryOptions
	err := decodeOptions(rt, call.Argument(0), &o, "steps.capillaryValidate options")
	if err == nil {
		err = o.check("steps.capillaryValidate options", false)
	}
	if err != nil {
		common.Throw(rt, err)
	}
	return s.run(call, 1, profileCapillary, "capillaryValidate", func(ctx context.Context) (func(*resultFields), error) {
		tok, err := s.c.cap.Validate(ctx, capillary.ValidateRequest{IdentifierType: o.IdentifierType,
			IdentifierValue: o.IdentifierValue, DeviceID: o.DeviceID, Brand: o.Brand, Password: o.Password})
		if err != nil {
			return nil, err
		}
		return func(f *resultFields) { f.hide("token", tok) }, nil
	})
}

// capillaryChangeOptions are the arguments of steps.capillaryChange.
type capillaryChangeOptions struct {
	capillaryOptions
	Token string `js:"token"`
}

// CapillaryChange changes the password with the MFA token:
// capillaryChange({identifierType, identifierValue, deviceId, brand, password, newPassword, token}).
func (s *Steps) CapillaryChange(call sobek.FunctionCall) sobek.Value {
	rt := s.rt()
	var o capillaryChangeOptions
	err := decodeOptions(rt, call.Argument(0), &o, "steps.capillaryChange options")
	if err == nil {
		err = o.check("steps.capillaryChange options", true)
	}
	if err == nil && o.Token == "" {
		err = fmt.Errorf("steps.capillaryChange options: missing token")
	}
	if err != nil {
		common.Throw(rt, err)
	}
	return s.run(call, 1, profileCapillary, "capillaryChange", func(ctx context.Context) (func(*resultFields), error) {
		return nil, s.c.cap.Change(ctx, capillary.ChangeRequest{DeviceID: o.DeviceID, Password: o.Password,
			NewPassword: o.NewPassword, ConfirmPassword: o.NewPassword, Brand: o.Brand, Token: o.Token,
			IdentifierType: o.IdentifierType, IdentifierValue: o.IdentifierValue})
	})
}

// jsonValue converts a Go value to plain JS data through its JSON form,
// parsed by the runtime's JSON.parse: objects keep the JSON's key order (a
// Go map would list its keys in a random order at each read).
func jsonValue(rt *sobek.Runtime, v any) sobek.Value {
	b, err := json.Marshal(v)
	if err != nil {
		return sobek.Null()
	}
	parse, ok := sobek.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	if !ok {
		return sobek.Null()
	}
	out, err := parse(sobek.Undefined(), rt.ToValue(string(b)))
	if err != nil {
		return sobek.Null()
	}
	return out
}
