package extension

import (
	"encoding/json"
	"slices"

	"github.com/grafana/sobek"

	"github.com/authflow/authflow/b2core"
)

// resultFields collects the fields a call adds to its result: a session, a
// token, a page of history. Secrets (tokens, keys) are hidden: readable,
// never listed, so JSON.stringify(result) never prints one.
type resultFields struct {
	rt     *sobek.Runtime
	fields []resultField
}

type resultField struct {
	name   string
	v      sobek.Value
	hidden bool
}

func (f *resultFields) set(name string, v any) {
	f.fields = append(f.fields, resultField{name: name, v: f.rt.ToValue(v)})
}

func (f *resultFields) hide(name string, v any) {
	f.fields = append(f.fields, resultField{name: name, v: f.rt.ToValue(v), hidden: true})
}

// observeReason, when set (by the package's tests), sees the reason of
// every result made.
var observeReason func(reason string)

// resultObject turns res into the script's result object (see
// resultObj). extra adds the call's own fields when it succeeded.
func (c *Client) resultObject(res *callResult, extra func(f *resultFields)) sobek.Value {
	return c.resultObjectWith(res, extra, nil)
}

// resultObjectWith is resultObject with always, the fields every result
// of the call has (the user of a picker's sign-in), failed or not.
func (c *Client) resultObjectWith(res *callResult, extra, always func(f *resultFields)) sobek.Value {
	if observeReason != nil && res.reason != "" {
		observeReason(res.reason)
	}
	rt := c.mi.vu.Runtime()
	r := &resultObj{rt: rt, res: res}
	if (extra != nil && res.ok()) || always != nil {
		f := resultFields{rt: rt}
		if extra != nil && res.ok() {
			extra(&f)
		}
		if always != nil {
			always(&f)
		}
		r.fields = f.fields
	}
	o := rt.NewDynamicObject(r)
	if c.opts.Throw && !res.ok() && !(res.outcome == b2core.OutcomeLockout && c.opts.OnLockout == lockoutSkip) {
		panic(c.jsError(res, o))
	}
	return o
}

// resultObj is a call's result, a host object (see hostobject.go) with
// the properties {ok, flow, outcome, step, status, reason, durationMs,
// waitedMs, retryAfter, steps, attempts?}, in that order, then the call's
// own fields. durationMs is the call's requests and the client's own work;
// waitedMs the waits the client chose (never inside durationMs).
type resultObj struct {
	rt     *sobek.Runtime
	res    *callResult
	fields []resultField
	overlay
	// steps is the array, made on first read.
	steps *sobek.Object
}

var _ sobek.DynamicObject = (*resultObj)(nil)

// resultKeys are a result's own properties, in order.
var resultKeys = [...]string{
	"ok", "flow", "outcome", "step", "status", "reason", "durationMs", "waitedMs", "retryAfter", "steps", "attempts",
}

// retried says whether the result shows attempts.
func (r *resultObj) retried() bool { return r.res.attempts > 1 }

// field returns the call's own field named key.
func (r *resultObj) field(key string) (resultField, bool) {
	for _, f := range r.fields {
		if f.name == key {
			return f, true
		}
	}
	return resultField{}, false
}

// Get implements sobek.DynamicObject.
func (r *resultObj) Get(key string) sobek.Value {
	if v, ok := r.get(key); ok {
		return v
	}
	res := r.res
	switch key {
	case "ok":
		return r.rt.ToValue(res.ok())
	case "flow":
		return r.rt.ToValue(res.flow)
	case "outcome":
		return r.rt.ToValue(string(res.outcome))
	case "step":
		return r.rt.ToValue(res.step)
	case "status":
		return r.rt.ToValue(res.status)
	case "reason":
		return r.rt.ToValue(res.reason)
	case "durationMs":
		return r.rt.ToValue(ms(res.duration))
	case "retryAfter":
		return r.rt.ToValue(res.retryAfter.Seconds())
	case "steps":
		if r.steps == nil {
			r.steps = r.rt.NewDynamicArray(&stepsArray{rt: r.rt, steps: res.steps})
		}
		return r.steps
	case "attempts":
		if r.retried() {
			return r.rt.ToValue(res.attempts)
		}
	case "waitedMs":
		return r.rt.ToValue(ms(res.waited))
	}
	if f, ok := r.field(key); ok {
		return f.v
	}
	return nil
}

// own reports whether key is one of the result's properties as made.
func (r *resultObj) own(key string) bool {
	if key == "attempts" {
		return r.retried()
	}
	if slices.Contains(resultKeys[:], key) {
		return true
	}
	_, ok := r.field(key)
	return ok
}

// Set implements sobek.DynamicObject.
func (r *resultObj) Set(key string, val sobek.Value) bool {
	r.set(key, val, r.own(key))
	return true
}

// Has implements sobek.DynamicObject.
func (r *resultObj) Has(key string) bool {
	if v, ok := r.get(key); ok {
		return v != nil
	}
	return r.own(key)
}

// Delete implements sobek.DynamicObject.
func (r *resultObj) Delete(key string) bool {
	if r.Has(key) {
		r.del(key)
	}
	return true
}

// Keys implements sobek.DynamicObject: hidden fields are left out.
func (r *resultObj) Keys() []string {
	keys := make([]string, 0, len(resultKeys)+len(r.fields)+len(r.added))
	for _, k := range resultKeys {
		if r.Has(k) {
			keys = append(keys, k)
		}
	}
	for _, f := range r.fields {
		if v, changed := r.get(f.name); !f.hidden && (!changed || v != nil) {
			keys = append(keys, f.name)
		}
	}
	return r.appendAdded(keys)
}

// stepsArray is a result's steps. Most scripts never read them, so each
// step becomes an object only when read, and stays that object (so that
// r.steps[0] === r.steps[0], and a script's change to it holds). It is an
// array to the script: Array.isArray, length, map and JSON.stringify work.
type stepsArray struct {
	rt    *sobek.Runtime
	steps []stepRecord
	vals  []sobek.Value
}

var _ sobek.DynamicArray = (*stepsArray)(nil)

func (a *stepsArray) Len() int { return len(a.steps) }

func (a *stepsArray) Get(i int) sobek.Value {
	if i < 0 || i >= len(a.steps) {
		return nil
	}
	if a.vals == nil {
		a.vals = make([]sobek.Value, len(a.steps))
	}
	if a.vals[i] == nil {
		s, o := a.steps[i], a.rt.NewObject()
		_ = o.Set("step", s.Step)
		_ = o.Set("name", s.Name)
		_ = o.Set("status", s.Status)
		_ = o.Set("durationMs", ms(s.Duration))
		a.vals[i] = o
	}
	return a.vals[i]
}

// Set replaces a step; the array's length is fixed.
func (a *stepsArray) Set(i int, v sobek.Value) bool {
	if i < 0 || i >= len(a.steps) {
		return false
	}
	a.Get(i)
	a.vals[i] = v
	return true
}

func (a *stepsArray) SetLen(n int) bool { return n == len(a.steps) }

// MarshalJSON implements json.Marshaler (see marshalObject).
func (r *resultObj) MarshalJSON() ([]byte, error) { return marshalObject(r.Keys(), r.Get) }

// MarshalJSON implements json.Marshaler: the steps as an array of objects.
func (a *stepsArray) MarshalJSON() ([]byte, error) {
	list := make([]any, len(a.steps))
	for i := range a.steps {
		list[i] = exportOf(a.Get(i))
	}
	return json.Marshal(list)
}
