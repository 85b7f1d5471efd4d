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

// jsSession is the script's view of a sessionRef: a read-only object whose
// token properties can be read (session.accessToken, for a script's own
// k6/http calls) but are not enumerable, so that JSON.stringify(session)
// and console.log(session) never print a token.
type jsSession struct {
	rt  *sobek.Runtime
	ref *sessionRef
}

var _ sobek.DynamicObject = (*jsSession)(nil)

// sessionKeys are the enumerable properties: nothing secret.
var sessionKeys = []string{"clientId", "accessExpiresAt", "refreshExpiresAt"}

func newJSSession(rt *sobek.Runtime, ref *sessionRef) *sobek.Object {
	return rt.NewDynamicObject(&jsSession{rt: rt, ref: ref})
}

func timeValue(rt *sobek.Runtime, t time.Time) sobek.Value {
	if t.IsZero() {
		return sobek.Null()
	}
	return rt.ToValue(t.UTC().Format(time.RFC3339))
}

func (j *jsSession) Get(key string) sobek.Value {
	s := j.ref.get()
	switch key {
	case "clientId":
		return j.rt.ToValue(s.ClientID)
	case "accessToken":
		return j.rt.ToValue(s.AccessToken)
	case "refreshToken":
		return j.rt.ToValue(s.RefreshToken)
	case "accessExpiresAt":
		return timeValue(j.rt, s.AccessExpiresAt)
	case "refreshExpiresAt":
		return timeValue(j.rt, s.RefreshExpiresAt)
	}
	return nil
}

func (j *jsSession) Set(string, sobek.Value) bool { return false }

func (j *jsSession) Has(key string) bool {
	switch key {
	case "clientId", "accessToken", "refreshToken", "accessExpiresAt", "refreshExpiresAt":
		return true
	}
	return false
}

func (j *jsSession) Delete(string) bool { return false }
func (j *jsSession) Keys() []string     { return sessionKeys }

// sessionArg reads a session argument: an object this extension returned
// (shared with the pool it came from, if any), or a plain object with
// accessToken and refreshToken (a session built by the script). Nullish
// gives nil.
func sessionArg(rt *sobek.Runtime, v sobek.Value) (*sessionRef, error) {
	if common.IsNullish(v) {
		return nil, nil //nolint:nilnil // no session is a valid argument for some flows
	}
	if js, ok := wrapped[*jsSession](v); ok {
		return js.ref, nil
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

// MarshalJSON implements json.Marshaler: the session's listed properties,
// no token (see marshalObject).
func (j *jsSession) MarshalJSON() ([]byte, error) { return marshalObject(j.Keys(), j.Get) }
