// Package refserver is the reference implementation of the B2Core client API
// v2 authentication calls, the Capillary MFA password change and the
// authflow test hooks (CONTRACT.md). It is the default target of every k6
// scenario and the implementation the conformance suite is validated
// against, so it is a complete, honest server: state machines, argon2id
// password hashes, TOTP with replay protection, single-use codes and tokens,
// lockout and rate limits. Everything lives in memory.
//
// A Server is an http.Handler. New starts two background goroutines: the
// janitor that sweeps expired state, and (with Config.Users) the worker that
// hashes load-test passwords; Close stops both.
//
// Where the documents and CONTRACT.md leave the status open, the default
// personality answers as below; Config.Variant "alt" takes the other legal
// answers listed in variant.go:
//
//	400 malformed JSON, a body that is not an object, a bad history query
//	401 missing/invalid/expired/revoked Bearer token or refresh token; wrong
//	    email or password (an unknown email answers byte for byte the same)
//	403 missing, used, expired or foreign success token; a confirmation
//	    token of another client
//	404 unknown path, unknown 2FA method, a history record of another client
//	405 wrong method (with Allow)
//	409 a wizard call at the wrong step; enabling an enabled 2FA method or
//	    disabling a disabled one
//	413 a body over 64 KiB
//	422 a missing or mistyped field; an unknown, expired or finished wizard
//	    uuid; a wrong or expired SMS, email or TOTP code; a password outside
//	    the policy (8 to 128 characters)
//	429 lockout or refresh limit, with Retry-After in whole seconds
//
// Every error body is {"code": <status>, "message": "...", "errors": {...}}
// (Capillary: {"status": {"success": false, "code": <status>, "message":
// "..."}}) and never holds a value of the request.
package refserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
	"github.com/authflow/authflow/testhooks"
)

// Server is the reference server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	defects defectFlags
	alt     bool // the alt personality (variant.go)
	policy  atomic.Pointer[testhooks.Policy]
	dummy   passwordHash // verified against for unknown identifiers

	mux *http.ServeMux

	accounts      *accountStore
	sessions      *sessionStore
	signins       *shardMap[string, *signinWizard]
	tfaWizards    *shardMap[string, *tfaWizard]
	codes         *shardMap[string, *sentCode]
	spentCodes    *shardMap[string, *sentCode] // used SMS codes, kept only with defect sms-code-reusable
	outbox        *shardMap[string, testhooks.Message]
	confirmations *shardMap[[32]byte, *confirmation]
	successTokens *shardMap[[32]byte, *successToken]
	qrChannels    *shardMap[string, *qrChannel]
	qrTokens      *shardMap[[32]byte, *qrChannel]
	capTokens     *shardMap[[32]byte, *capToken]
	history       *historyStore
	lockout       *lockout
	refreshLimit  *rateLimit

	loadUsers []*account // hashed lazily (users.go)

	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds a server from cfg (zero fields take their defaults), creates
// the load-test users and writes their file, and starts the background
// goroutines. Call Close to stop them.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d, err := newDefectFlags(cfg.Defects)
	if err != nil {
		return nil, err
	}
	variant, err := ParseVariant(cfg.Variant)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:           cfg,
		log:           cfg.Logger,
		now:           cfg.Now,
		defects:       d,
		alt:           variant == VariantAlt,
		mux:           http.NewServeMux(),
		accounts:      newAccountStore(),
		sessions:      newSessionStore(),
		signins:       newShardMap[string, *signinWizard](hashString),
		tfaWizards:    newShardMap[string, *tfaWizard](hashString),
		codes:         newShardMap[string, *sentCode](hashString),
		spentCodes:    newShardMap[string, *sentCode](hashString),
		outbox:        newShardMap[string, testhooks.Message](hashString),
		confirmations: newShardMap[[32]byte, *confirmation](hashDigest),
		successTokens: newShardMap[[32]byte, *successToken](hashDigest),
		qrChannels:    newShardMap[string, *qrChannel](hashString),
		qrTokens:      newShardMap[[32]byte, *qrChannel](hashDigest),
		capTokens:     newShardMap[[32]byte, *capToken](hashDigest),
		history:       newHistoryStore(),
	}
	p := cfg.Policy
	s.policy.Store(&p)
	s.lockout = newLockout(func() testhooks.Limit { return s.policy.Load().SignIn }, s.now, d.noLockout)
	s.refreshLimit = newRateLimit(func() testhooks.Limit { return s.policy.Load().Refresh }, s.now)
	s.lockout.quirks, s.refreshLimit.quirks = d.windowQuirks(), d.windowQuirks() // the time-window defects
	s.dummy = hashPassword(cfg.Hash, "authflow dummy password")
	s.routes()

	if cfg.Users.Count > 0 {
		cfg.Users.EveryPhone = cfg.Users.EveryPhone || s.alt
		if err := s.createUsers(cfg.Users); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.wg.Add(1)
	go s.janitor(ctx)
	if len(s.loadUsers) > 0 {
		s.wg.Add(1)
		go s.hashUsers(ctx)
	}
	return s, nil
}

// Close stops the background goroutines and waits for them. It is safe to
// call more than once; the handler keeps answering.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.wg.Wait()
	})
	return nil
}

// Policy returns the lockout and refresh policy in force.
func (s *Server) Policy() testhooks.Policy { return *s.policy.Load() }

// SetPolicy replaces the policy in force.
func (s *Server) SetPolicy(p testhooks.Policy) error {
	if err := ValidatePolicy(p); err != nil {
		return err
	}
	s.policy.Store(&p)
	return nil
}

// HooksEnabled reports whether the test hooks answer.
func (s *Server) HooksEnabled() bool { return !s.cfg.DisableHooks }

func (s *Server) janitor(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep forgets everything that has expired.
func (s *Server) sweep() {
	now := s.now()
	s.signins.sweep(func(_ string, w *signinWizard) bool { return !now.Before(w.expires) })
	s.tfaWizards.sweep(func(_ string, w *tfaWizard) bool { return !now.Before(w.expires) })
	s.codes.sweep(func(_ string, c *sentCode) bool { return !now.Before(c.expires) })
	s.spentCodes.sweep(func(_ string, c *sentCode) bool { return !now.Before(c.expires) })
	s.outbox.sweep(func(_ string, m testhooks.Message) bool {
		t, err := time.Parse(time.RFC3339Nano, m.SentAt)
		return err != nil || now.Sub(t) > s.cfg.CodeTTL+time.Minute
	})
	s.confirmations.sweep(func(_ [32]byte, c *confirmation) bool { return !now.Before(c.expires) })
	s.successTokens.sweep(func(_ [32]byte, t *successToken) bool { return !now.Before(t.expires) })
	s.qrChannels.sweep(func(_ string, c *qrChannel) bool { return !now.Before(c.expires) })
	s.qrTokens.sweep(func(_ [32]byte, c *qrChannel) bool { return !now.Before(c.expires) })
	s.capTokens.sweep(func(_ [32]byte, t *capToken) bool { return !now.Before(t.expires) })
	s.sessions.sweep(now)
	s.lockout.sweep()
	s.refreshLimit.sweep()
}

// ---- routing ----

const (
	api   = b2core.APIPrefix
	hooks = "/__hooks"
)

func (s *Server) routes() {
	// Sign-in (002).
	s.handle("GET "+api+"/signin/wizard", s.handleSignInWizard)
	s.handle("POST "+api+"/signin", s.handleSignIn)
	s.handle("POST "+api+"/refresh", s.handleRefresh)
	s.handle("POST "+api+"/signout", s.handleSignOut)
	s.handle("POST "+api+"/signin/password/restore", s.handleSignInRestore)
	s.handle("POST "+api+"/signin/password/reset", s.handleSignInReset)
	s.handle("GET "+api+"/signin/qrcodes", s.handleQRChannel)
	s.handle("POST "+api+"/signin/tokens", s.handleQRAuthorize)
	s.handle("POST "+api+"/signin/qrcodes", s.handleQRSignIn)
	// 2FA at sign-in (001).
	s.handle("POST "+api+"/signin/2fa", s.handleChoose2FA)
	s.handle("POST "+api+"/2fa/google", s.handle2FACode(b2core.ProviderGoogle))
	s.handle("POST "+api+"/2fa/sms", s.handle2FACode(b2core.ProviderSMS))
	// Challenges.
	s.handle("GET "+api+"/2fa/challenge", s.handleStartChallenge)
	s.handle("GET "+api+"/2fa/unauthorized/challenge", s.handleStartUnauthorizedChallenge)
	s.handle("POST "+api+"/2fa/challenge", s.handleCompleteChallenge)
	// 2FA management.
	s.handle("GET "+api+"/2fa", s.handleTFAList)
	s.handle("GET "+api+"/2fa/{type}", s.handleTFAMethod)
	s.handle("GET "+api+"/2fa/{type}/enable/wizard", s.handleTFAEnableWizard)
	s.handle("GET "+api+"/2fa/{type}/disable/wizard", s.handleTFADisableWizard)
	s.handle("POST "+api+"/2fa/wizard", s.handleTFAWizard)
	s.handle("GET "+api+"/2fa/changes", s.handleTFAChanges)
	s.handle("GET "+api+"/2fa/changes/{id}", s.handleTFAChange)
	// Passwords (000).
	s.handle("POST "+api+"/password/change", s.handlePasswordChange)
	s.handle("POST "+api+"/password/restore", s.handlePasswordRestore)
	s.handle("GET "+api+"/password/changes", s.handlePasswordChanges)
	s.handle("GET "+api+"/password/changes/{id}", s.handlePasswordChangeOne)
	// Capillary (003).
	s.handleCapillary("POST "+capillary.PathValidate, s.handleCapillaryValidate)
	s.handleCapillary("POST "+capillary.PathChange, s.handleCapillaryChange)
	// Test hooks (CONTRACT.md, contract v1).
	if !s.cfg.DisableHooks {
		s.handle("POST "+hooks+"/clients", s.handleHookCreateClient)
		s.handle("GET "+hooks+"/messages/latest", s.handleHookLatestMessage)
		s.handle("POST "+hooks+"/clients/{id}/reset-required", s.handleHookResetRequired)
		s.handle("GET "+hooks+"/policy", s.handleHookGetPolicy)
		s.handle("PUT "+hooks+"/policy", s.handleHookPutPolicy)
	}
}

// handlerFunc is an endpoint; a returned error is answered as JSON.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, err)
		}
	})
}

// ServeHTTP implements http.Handler: body limit, panic recovery, JSON for
// the mux's own 404 and 405, and a debug line per request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	defer func() {
		if rec := recover(); rec != nil {
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.log.Error("panic in handler", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(rec))
			if !sw.wrote {
				writeJSON(sw, http.StatusInternalServerError, errorBody(http.StatusInternalServerError, "internal server error", nil))
			}
		}
		if sw.rewrite {
			// The mux answered 404 or 405 in plain text: answer JSON instead.
			msg := "no such endpoint"
			if sw.status == http.StatusMethodNotAllowed {
				msg = "method " + r.Method + " is not allowed here (allowed: " + w.Header().Get("Allow") + ")"
			}
			sw.rewrite = false
			b, _ := json.Marshal(errorBody(sw.status, msg, nil))
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(sw.status)
			w.Write(b)
		}
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			route := r.Pattern
			if route == "" {
				route = "(none)"
			}
			// Never the path or query: they may carry an email or an id.
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", sw.status),
				slog.Duration("duration", time.Since(start)))
		}
	}()
	s.mux.ServeHTTP(sw, r)
	if !sw.wrote {
		sw.status = http.StatusOK
	}
}

// statusWriter records the status and turns the mux's text errors into JSON.
type statusWriter struct {
	http.ResponseWriter
	status  int
	wrote   bool
	rewrite bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote, w.status = true, code
	h := w.Header()
	if code >= 400 && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		h.Set("Content-Type", "application/json")
		h.Del("X-Content-Type-Options")
		w.rewrite = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.rewrite {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ---- JSON ----

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":500,"message":"internal server error","errors":{}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeNoContent answers 204.
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// apiError is an error answered to the client. Its message is written by
// this package, never copied from a request.
type apiError struct {
	status     int
	message    string
	fields     map[string]string
	retryAfter time.Duration // > 0 on a 429
	kind       errKind       // how the alt personality answers it (variant.go)
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.message) }

func errf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, message: fmt.Sprintf(format, args...)}
}

// fieldErr is a 4xx about one field.
func fieldErr(status int, field, reason string) *apiError {
	ae := &apiError{status: status, message: "invalid field " + field + ": " + reason, fields: map[string]string{field: reason}}
	if status == http.StatusUnprocessableEntity {
		ae.kind = kindField
	}
	return ae
}

func errorBody(status int, msg string, fields map[string]string) b2core.ErrorBody {
	if fields == nil {
		fields = map[string]string{}
	}
	return b2core.ErrorBody{Code: status, Message: msg, Errors: fields}
}

// Common errors.
var (
	errUnauthorized     = &apiError{status: http.StatusUnauthorized, message: "missing, invalid, expired or revoked access token", kind: kindUnauthorized}
	errBadCredentials   = &apiError{status: http.StatusUnauthorized, message: "invalid email or password", kind: kindCredentials}
	errInvalidCode      = &apiError{status: http.StatusUnprocessableEntity, message: "the code is invalid or has expired", fields: map[string]string{"code": "invalid or expired"}, kind: kindCode}
	errUnknownWizard    = &apiError{status: http.StatusUnprocessableEntity, message: "unknown, expired or finished wizard uuid", fields: map[string]string{"uuid": "unknown, expired or finished"}, kind: kindUnknownWizard}
	errBadSuccessToken  = &apiError{status: http.StatusForbidden, message: "missing, invalid, used or expired success token", fields: map[string]string{"successToken": "invalid"}, kind: kindSuccessToken}
	errUnknownClientEnu = &apiError{status: http.StatusNotFound, message: "client not found"} // defect enumeration
)

func errWrongStep(workflow string) *apiError {
	return &apiError{status: http.StatusConflict, message: "this call is not allowed at the wizard's current step (" + workflow + ")", fields: map[string]string{"uuid": "wrong step"}, kind: kindWrongStep}
}

func (s *Server) tooMany(what string, wait time.Duration) *apiError {
	if wait <= 0 {
		wait = time.Second
	}
	return &apiError{status: http.StatusTooManyRequests, message: what, retryAfter: wait, kind: kindTooMany}
}

func retryAfterSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

func (s *Server) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("internal error", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody(http.StatusInternalServerError, "internal server error", nil))
		return
	}
	ae = s.variantError(ae)
	fields := ae.fields
	if ae.retryAfter > 0 {
		secs := strconv.Itoa(retryAfterSeconds(ae.retryAfter))
		if !s.defects.noRetryAfter { // defect no-retry-after
			w.Header().Set("Retry-After", secs)
		}
		fields = map[string]string{"retryAfter": secs}
	}
	if ae.status == http.StatusUnauthorized && ae.kind == kindUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="b2core"`)
	}
	writeJSON(w, ae.status, errorBody(ae.status, ae.message, fields))
}

// decode reads the JSON body into dst. Unknown fields are tolerated; a
// missing body, malformed JSON, a body over MaxBodyBytes or a field of the
// wrong type is an apiError that names no value.
func (s *Server) decode(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return s.decodeBody(body, dst)
}

// readBody reads the request body, bounded by MaxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
		}
		return nil, errf(http.StatusBadRequest, "could not read the request body")
	}
	return body, nil
}

// decodeBody is decode of a body already read.
func (s *Server) decodeBody(body []byte, dst any) error {
	if len(body) == 0 {
		return errf(http.StatusBadRequest, "a JSON object body is required")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return errf(http.StatusBadRequest, "the body must be a JSON object")
			}
			return fieldErr(http.StatusUnprocessableEntity, te.Field, "must be "+kindName(te.Type.Kind()))
		}
		if s.defects.malformedJSON500 { // defect 500-on-malformed-json
			return errors.New("malformed JSON")
		}
		return withKind(errf(http.StatusBadRequest, "malformed JSON body"), kindMalformed)
	}
	return nil
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another type"
}

// required checks that each named field is set; pairs are name, value.
func required(pairs ...string) error {
	var missing map[string]string
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			if missing == nil {
				missing = map[string]string{}
			}
			missing[pairs[i]] = "required"
		}
	}
	if missing == nil {
		return nil
	}
	names := make([]string, 0, len(missing))
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, ok := missing[pairs[i]]; ok {
			names = append(names, pairs[i])
		}
	}
	return &apiError{status: http.StatusUnprocessableEntity, message: "missing required fields: " + strings.Join(names, ", "), fields: missing, kind: kindField}
}
