package extension

import (
	"errors"
	"sync"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"

	"github.com/authflow/authflow/b2core"
)

// sessionRef is a signed-in session's token pair. It may be shared by
// every VU (SessionPool), so it is read and written under its lock: a
// refresh rotates both tokens.
type sessionRef struct {
	mu sync.Mutex
	s  b2core.Session
}

func newSessionRef(s *b2core.Session) *sessionRef {
	r := &sessionRef{}
	if s != nil {
		r.s = *s
	}
	return r
}

// get returns a copy of the session.
func (r *sessionRef) get() b2core.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s
}

// set replaces the session's tokens.
func (r *sessionRef) set(s b2core.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = s
}

// jsSession is the script's view of a sessionRef: a read-only host object
// (see hostobject.go) whose token properties can be read
// (session.accessToken, for a script's own k6/http calls) but are hidden,
// so that JSON.stringify(session) and console.log(session) never print a
// token.
type jsSession = hostObject[*sessionRef]

var sessionType = &hostType[*sessionRef]{sealed: true, fields: []field[*sessionRef]{
	{name: "clientId", get: func(r **sessionRef, _ *sobek.Runtime) any { return (*r).get().ClientID }},
	{name: "accessToken", get: func(r **sessionRef, _ *sobek.Runtime) any { return (*r).get().AccessToken }, hidden: true},
	{name: "refreshToken", get: func(r **sessionRef, _ *sobek.Runtime) any { return (*r).get().RefreshToken }, hidden: true},
	{name: "accessExpiresAt", get: func(r **sessionRef, _ *sobek.Runtime) any { return timeValue((*r).get().AccessExpiresAt) }},
	{name: "refreshExpiresAt", get: func(r **sessionRef, _ *sobek.Runtime) any { return timeValue((*r).get().RefreshExpiresAt) }},
}}

func newJSSession(rt *sobek.Runtime, ref *sessionRef) *sobek.Object {
	return rt.NewDynamicObject(&jsSession{rt: rt, typ: sessionType, v: ref})
}

// timeValue is t as the script reads it: RFC 3339, or null if unset.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// sessionArg reads a session argument: an object this extension returned
// (shared with the pool it came from, if any), or a plain object with
// accessToken and refreshToken (a session built by the script). Nullish
// gives nil.
func sessionArg(rt *sobek.Runtime, v sobek.Value) (*sessionRef, error) {
	if common.IsNullish(v) {
		return nil, nil //nolint:nilnil // no session is a valid argument for some flows
	}
	if js, ok := wrapped[*jsSession](v); ok {
		return js.v, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok {
		return nil, errors.New("session must be a session object (from signIn) or {accessToken, refreshToken}, not " + describe(v))
	}
	var s b2core.Session
	// obj.Get gives nil for an absent property.
	export := func(k string) any {
		if x := obj.Get(k); x != nil {
			return x.Export()
		}
		return nil
	}
	str := func(k string) string {
		x, _ := export(k).(string)
		return x
	}
	s.AccessToken, s.RefreshToken = str("accessToken"), str("refreshToken")
	if n, ok := export("clientId").(int64); ok {
		s.ClientID = n
	}
	if s.AccessToken == "" && s.RefreshToken == "" {
		return nil, errors.New("session has neither accessToken nor refreshToken")
	}
	return newSessionRef(&s), nil
}
