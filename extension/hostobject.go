package extension

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/grafana/sobek"
)

// The user and result objects the extension hands scripts are host objects
// (sobek.DynamicObject) over Go values, as k6/http's Response is: making a
// plain object cost a property set per field, and reading a user back a
// property read per field, on every call of a flow. To the script they read,
// write, delete, list and serialize like plain objects; unlike plain
// objects they cannot be frozen or sealed, their properties cannot be made
// read-only or non-enumerable, and they take no Symbol keys. {...obj} makes
// a plain copy.

// overlay holds a script's changes to a host object: the properties it
// set or deleted over the object's own, and the keys it added, in order.
type overlay struct {
	changed map[string]sobek.Value // a nil Value: deleted
	added   []string
}

// get returns the script's value for key, if it set or deleted it (nil
// then).
func (ov *overlay) get(key string) (sobek.Value, bool) {
	v, ok := ov.changed[key]
	return v, ok
}

// set records a script's assignment; own says whether key is one of the
// object's own properties, which keep their place in Keys.
func (ov *overlay) set(key string, v sobek.Value, own bool) {
	if ov.changed == nil {
		ov.changed = make(map[string]sobek.Value, 2)
	}
	if prev, ok := ov.changed[key]; !own && (!ok || prev == nil) {
		// A new key, or one deleted and set again: it goes last, as in a
		// plain object.
		ov.added = append(slices.DeleteFunc(ov.added, func(k string) bool { return k == key }), key)
	}
	ov.changed[key] = v
}

// del records a script's delete of a property the object has.
func (ov *overlay) del(key string) {
	if ov.changed == nil {
		ov.changed = make(map[string]sobek.Value, 2)
	}
	ov.changed[key] = nil
}

// touched reports whether the script changed anything.
func (ov *overlay) touched() bool { return len(ov.changed) > 0 }

// appendAdded appends the keys the script added and did not delete.
func (ov *overlay) appendAdded(keys []string) []string {
	for _, k := range ov.added {
		if ov.changed[k] != nil {
			keys = append(keys, k)
		}
	}
	return keys
}

// marshalObject writes a host object's listed properties as JSON, in
// order. k6 sends setup() data to the VUs as json.Marshal of its Export(),
// which for a host object is its Go handler: without this a user or a
// result returned by setup() would arrive as {}.
func marshalObject(keys []string, get func(string) sobek.Value) ([]byte, error) {
	buf := append(make([]byte, 0, 256), '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(exportOf(get(k)))
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", k, err)
		}
		buf = append(append(append(buf, kb...), ':'), vb...)
	}
	return append(buf, '}'), nil
}
