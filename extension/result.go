package extension

import (
	"encoding/json"

	"github.com/grafana/sobek"

	"github.com/authflow/authflow/b2core"
)

// resultFields collects the fields a call adds to its result: a session, a
// token, a page of history. Secrets (tokens, keys) are hidden: readable,
// never listed, so JSON.stringify(result) never prints one.
type resultFields struct {
	rt     *sobek.Runtime
	fields []extraField
}

func (f *resultFields) set(name string, v any) {
	f.fields = append(f.fields, extraField{name: name, v: f.rt.ToValue(v)})
}

func (f *resultFields) hide(name string, v any) {
	f.fields = append(f.fields, extraField{name: name, v: f.rt.ToValue(v), hidden: true})
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
	r := &resultObj{rt: rt, typ: resultType, v: resultData{res: res}}
	if (extra != nil && res.ok()) || always != nil {
		f := resultFields{rt: rt}
		if extra != nil && res.ok() {
			extra(&f)
		}
		if always != nil {
			always(&f)
		}
		r.v.extra = f.fields
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
type resultObj = hostObject[resultData]

// resultData is a call's result, its own fields, and the steps array, made
// on first read.
type resultData struct {
	res   *callResult
	extra []extraField
	steps *sobek.Object
}

var resultType = &hostType[resultData]{
	extra: func(d *resultData) []extraField { return d.extra },
	fields: []field[resultData]{
		{name: "ok", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.ok() }},
		{name: "flow", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.flow }},
		{name: "outcome", get: func(d *resultData, _ *sobek.Runtime) any { return string(d.res.outcome) }},
		{name: "step", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.step }},
		{name: "status", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.status }},
		{name: "reason", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.reason }},
		{name: "durationMs", get: func(d *resultData, _ *sobek.Runtime) any { return ms(d.res.duration) }},
		{name: "waitedMs", get: func(d *resultData, _ *sobek.Runtime) any { return ms(d.res.waited) }},
		{name: "retryAfter", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.retryAfter.Seconds() }},
		{name: "steps", get: func(d *resultData, rt *sobek.Runtime) any {
			if d.steps == nil {
				d.steps = rt.NewDynamicArray(&stepsArray{rt: rt, steps: d.res.steps})
			}
			return d.steps
		}},
		{name: "attempts", get: func(d *resultData, _ *sobek.Runtime) any { return d.res.attempts }, present: func(d *resultData) bool { return d.res.attempts > 1 }},
	},
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

// MarshalJSON implements json.Marshaler: the steps as an array of objects.
func (a *stepsArray) MarshalJSON() ([]byte, error) {
	list := make([]any, len(a.steps))
	for i := range a.steps {
		list[i] = exportOf(a.Get(i))
	}
	return json.Marshal(list)
}
