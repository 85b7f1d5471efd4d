package extension

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/grafana/sobek"
)

// The user, session and result objects the extension hands scripts are
// host objects (sobek.DynamicObject) over Go values, as k6/http's Response
// is: making a plain object cost a property set per field, and reading a
// user back a property read per field, on every call of a flow. To the
// script they read, write, delete, list and serialize like plain objects;
// unlike plain objects they cannot be frozen or sealed, their properties
// cannot be made read-only or non-enumerable, and they take no Symbol keys.
// {...obj} makes a plain copy. One implementation, hostObject[T], serves
// them all, from a table of T's properties that also fixes their order.

// field is a property of a host object over a T: get returns its value
// (for rt.ToValue); present, if set, whether the object has it; a hidden
// field is readable but never listed (a secret: JSON.stringify never
// prints it); the script can neither set nor delete a readOnly one.
type field[T any] struct {
	name     string
	get      func(v *T, rt *sobek.Runtime) any
	present  func(v *T) bool
	hidden   bool
	readOnly bool
}

// hostType is a host object's table: its fields in order; extra, if set,
// the object's own fields (a call's session, token or page of history on
// its result), listed after them; a sealed object takes no change.
type hostType[T any] struct {
	fields []field[T]
	extra  func(v *T) []extraField
	sealed bool
}

type extraField struct {
	name   string
	v      sobek.Value
	hidden bool
}

// hostObject is a host object over a T. Keys lists the table's fields the
// object has, then its extra fields, then those the script added, in the
// order it added them.
type hostObject[T any] struct {
	rt  *sobek.Runtime
	typ *hostType[T]
	v   T
	ov  *overlay // the script's changes, made on its first
}

// lookup returns the table's field named key, if any.
func (h *hostObject[T]) lookup(key string) *field[T] {
	for i := range h.typ.fields {
		if h.typ.fields[i].name == key {
			return &h.typ.fields[i]
		}
	}
	return nil
}

func (h *hostObject[T]) has(f *field[T]) bool { return f.present == nil || f.present(&h.v) }

func (h *hostObject[T]) extras() []extraField {
	if h.typ.extra == nil {
		return nil
	}
	return h.typ.extra(&h.v)
}

// extraField returns the extra field named key, if any.
func (h *hostObject[T]) extraField(key string) *extraField {
	extra := h.extras()
	for i := range extra {
		if extra[i].name == key {
			return &extra[i]
		}
	}
	return nil
}

// own reports whether key is one of the object's properties as made.
func (h *hostObject[T]) own(key string) bool {
	if f := h.lookup(key); f != nil {
		return h.has(f)
	}
	return h.extraField(key) != nil
}

// Get implements sobek.DynamicObject.
func (h *hostObject[T]) Get(key string) sobek.Value {
	if v, ok := h.ov.get(key); ok {
		return v
	}
	if f := h.lookup(key); f != nil {
		if h.has(f) {
			return h.rt.ToValue(f.get(&h.v, h.rt))
		}
	} else if e := h.extraField(key); e != nil {
		return e.v
	}
	return nil
}

// Set implements sobek.DynamicObject.
func (h *hostObject[T]) Set(key string, val sobek.Value) bool {
	if !h.writable(key) {
		return false
	}
	if h.ov == nil {
		h.ov = &overlay{changed: make(map[string]sobek.Value, 2)}
	}
	h.ov.set(key, val, h.own(key))
	return true
}

// Has implements sobek.DynamicObject.
func (h *hostObject[T]) Has(key string) bool {
	if v, ok := h.ov.get(key); ok {
		return v != nil
	}
	return h.own(key)
}

// Delete implements sobek.DynamicObject: a nil Value marks the deleted.
func (h *hostObject[T]) Delete(key string) bool {
	if !h.writable(key) {
		return false
	}
	if h.Has(key) {
		h.Set(key, nil)
	}
	return true
}

func (h *hostObject[T]) writable(key string) bool {
	f := h.lookup(key)
	return !h.typ.sealed && (f == nil || !f.readOnly)
}

// listed reports whether an own property is listed: not if hidden or
// deleted.
func (h *hostObject[T]) listed(key string, hidden bool) bool {
	v, changed := h.ov.get(key)
	return !hidden && (!changed || v != nil)
}

// Keys implements sobek.DynamicObject: hidden fields are left out.
func (h *hostObject[T]) Keys() []string {
	extra := h.extras()
	keys := make([]string, 0, len(h.typ.fields)+len(extra)+h.ov.count())
	for i := range h.typ.fields {
		if f := &h.typ.fields[i]; h.has(f) && h.listed(f.name, f.hidden) {
			keys = append(keys, f.name)
		}
	}
	for _, e := range extra {
		if h.listed(e.name, e.hidden) {
			keys = append(keys, e.name)
		}
	}
	return h.ov.appendAdded(keys)
}

// MarshalJSON implements json.Marshaler: the object's listed properties,
// in order. k6 sends setup() data to the VUs as json.Marshal of its
// Export(), which for a host object is its Go handler: without this a user
// or a result returned by setup() would arrive as {}.
func (h *hostObject[T]) MarshalJSON() ([]byte, error) {
	buf := append(make([]byte, 0, 256), '{')
	for i, k := range h.Keys() {
		if i > 0 {
			buf = append(buf, ',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(exportOf(h.Get(k)))
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", k, err)
		}
		buf = append(append(append(buf, kb...), ':'), vb...)
	}
	return append(buf, '}'), nil
}

// overlay holds a script's changes to a host object: the properties it
// set or deleted (a nil Value) over the object's own, and the keys it
// added, in order. A nil overlay is no change.
type overlay struct {
	changed map[string]sobek.Value
	added   []string
}

// get returns the script's value for key, if it set or deleted it.
func (ov *overlay) get(key string) (sobek.Value, bool) {
	if ov == nil {
		return nil, false
	}
	v, ok := ov.changed[key]
	return v, ok
}

// set records a script's assignment or delete (v nil); own says whether key
// is one of the object's own properties, which keep their place in Keys.
func (ov *overlay) set(key string, v sobek.Value, own bool) {
	if prev, ok := ov.changed[key]; !own && v != nil && (!ok || prev == nil) {
		// A new key, or one deleted and set again: it goes last, as in a
		// plain object.
		ov.added = append(slices.DeleteFunc(ov.added, func(k string) bool { return k == key }), key)
	}
	ov.changed[key] = v
}

func (ov *overlay) count() int {
	if ov == nil {
		return 0
	}
	return len(ov.added)
}

// appendAdded appends the keys the script added and did not delete.
func (ov *overlay) appendAdded(keys []string) []string {
	if ov == nil {
		return keys
	}
	for _, k := range ov.added {
		if ov.changed[k] != nil {
			keys = append(keys, k)
		}
	}
	return keys
}
