package extension

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"
)

// Options objects coming from a script are decoded strictly into tagged Go
// structs: every field has a `js:"name"` tag, a key the struct does not know
// is an error naming the key and the keys it would accept, and a value of the
// wrong type is an error naming the option. Supported field types: string,
// bool, int, float64, time.Duration (a k6 duration string such as "10s", or
// a number of milliseconds), []string (an array, or one string), []int,
// map[string]string, *bool, nested structs and pointers to them, and
// sobek.Value (kept as is, for callbacks).

var (
	durationType = reflect.TypeFor[time.Duration]()
	valueType    = reflect.TypeFor[sobek.Value]()
)

// decodeOptions decodes the JS value v into dst, a pointer to a struct.
// Nullish v leaves dst as it is. what names the object in errors
// ("Client options").
func decodeOptions(rt *sobek.Runtime, v sobek.Value, dst any, what string) error {
	if common.IsNullish(v) {
		return nil
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic("decodeOptions: dst must point to a struct")
	}
	return decodeStruct(rt, v, rv.Elem(), what)
}

func decodeStruct(rt *sobek.Runtime, v sobek.Value, dst reflect.Value, path string) error {
	obj, ok := v.(*sobek.Object)
	if !ok || isArray(obj) || isFunction(obj) {
		return fmt.Errorf("%s must be an object, not %s", path, describe(v))
	}
	sf := structFieldsOf(dst.Type())
	for _, key := range obj.Keys() {
		idx, known := sf.index[key]
		if !known {
			return fmt.Errorf("%s: unknown option %q (known options: %s)", path, key, strings.Join(sf.names, ", "))
		}
		fv := obj.Get(key)
		if common.IsNullish(fv) {
			continue
		}
		field := dst.FieldByIndex(idx)
		if setString(fv, field) {
			continue
		}
		if err := decodeValue(rt, fv, field, path+"."+key); err != nil {
			return err
		}
	}
	return nil
}

// structFields are the js names of a struct type's fields.
type structFields struct {
	index map[string][]int // js name -> index path
	names []string         // in declaration order, for error messages
}

// fieldCache holds the structFields of each options type: options are
// decoded on every call of a flow, their types never change.
var fieldCache sync.Map // reflect.Type -> *structFields

func structFieldsOf(t reflect.Type) *structFields {
	if sf, ok := fieldCache.Load(t); ok {
		return sf.(*structFields) //nolint:forcetypeassert // the cache only holds *structFields
	}
	sf := &structFields{index: map[string][]int{}}
	collectFields(t, nil, sf.index, &sf.names)
	actual, _ := fieldCache.LoadOrStore(t, sf)
	return actual.(*structFields) //nolint:forcetypeassert // the cache only holds *structFields
}

// collectFields maps the js names of t's fields, those of embedded structs
// included, to their index paths.
func collectFields(t reflect.Type, prefix []int, fields map[string][]int, names *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(append([]int(nil), prefix...), i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, idx, fields, names)
			continue
		}
		if name := jsName(f); name != "" {
			fields[name] = idx
			*names = append(*names, name)
		}
	}
}

func jsName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("js")
	if tag == "" || tag == "-" {
		return ""
	}
	return tag
}

//nolint:gocyclo,cyclop // one case per supported type
func decodeValue(rt *sobek.Runtime, v sobek.Value, dst reflect.Value, path string) error {
	if v == nil {
		v = sobek.Undefined() // an array's hole
	}
	if dst.Type() == valueType {
		dst.Set(reflect.ValueOf(v))
		return nil
	}
	if dst.Type() == durationType {
		d, err := toDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		dst.SetInt(int64(d))
		return nil
	}
	switch dst.Kind() {
	case reflect.String:
		s, ok := stringOf(v)
		if !ok {
			return fmt.Errorf("%s must be a string, not %s", path, describe(v))
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.Export().(bool)
		if !ok {
			return fmt.Errorf("%s must be true or false, not %s", path, describe(v))
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := toInt(v)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		dst.SetInt(n)
	case reflect.Float64:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("%s must be a number, not %s", path, describe(v))
		}
		dst.SetFloat(f)
	case reflect.Struct:
		return decodeStruct(rt, v, dst, path)
	case reflect.Pointer:
		elem := reflect.New(dst.Type().Elem())
		if err := decodeValue(rt, v, elem.Elem(), path); err != nil {
			return err
		}
		dst.Set(elem)
	case reflect.Slice:
		return decodeSlice(rt, v, dst, path)
	case reflect.Map:
		if dst.Type().Key().Kind() != reflect.String || dst.Type().Elem().Kind() != reflect.String {
			panic("decodeOptions: only map[string]string is supported")
		}
		obj, ok := v.(*sobek.Object)
		if !ok || isArray(obj) || isFunction(obj) {
			return fmt.Errorf("%s must be an object of strings, not %s", path, describe(v))
		}
		m := reflect.MakeMap(dst.Type())
		for _, k := range obj.Keys() {
			ev := obj.Get(k)
			var s string
			switch x := ev.Export().(type) {
			case string:
				s = x
			case int64, float64, bool:
				s = ev.String()
			default:
				return fmt.Errorf("%s.%s must be a string, not %s", path, k, describe(ev))
			}
			m.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(s))
		}
		dst.Set(m)
	default:
		panic("decodeOptions: unsupported field type " + dst.Type().String())
	}
	return nil
}

func decodeSlice(rt *sobek.Runtime, v sobek.Value, dst reflect.Value, path string) error {
	ofStrings := dst.Type().Elem().Kind() == reflect.String
	obj, ok := v.(*sobek.Object)
	if !ok {
		// A single string stands for a one-element []string.
		if s, ok := stringOf(v); ok && ofStrings {
			dst.Set(reflect.ValueOf([]string{s}).Convert(dst.Type()))
			return nil
		}
	}
	if !ok || !isArray(obj) {
		return fmt.Errorf("%s must be an array, not %s", path, describe(v))
	}
	n := int(obj.Get("length").ToInteger())
	out := reflect.MakeSlice(dst.Type(), n, n)
	for i := range n {
		ev := obj.Get(strconv.Itoa(i))
		if setString(ev, out.Index(i)) {
			continue
		}
		if err := decodeValue(rt, ev, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	dst.Set(out)
	return nil
}

// stringOf returns v's string, as v.Export().(string) does, but a string
// primitive without the allocation of boxing it into an interface first:
// user fields, options and list elements are read on every call.
func stringOf(v sobek.Value) (string, bool) {
	if s, ok := v.(sobek.String); ok {
		return s.String(), true
	}
	s, ok := exportOf(v).(string)
	return s, ok
}

// setString sets dst, a string field or element, to v if v is a string:
// what decodeValue does for one, without the error path decodeValue must
// be given, which would otherwise be built for every option and element.
func setString(v sobek.Value, dst reflect.Value) bool {
	if dst.Kind() != reflect.String {
		return false
	}
	s, ok := stringOf(v)
	if ok {
		dst.SetString(s)
	}
	return ok
}

// toDuration reads a k6 duration: a string time.ParseDuration accepts
// ("10s", "1m30s", "250ms"), a string of digits, or a number, both taken as
// milliseconds, as k6 options do.
func toDuration(v sobek.Value) (time.Duration, error) {
	switch x := v.Export().(type) {
	case string:
		if ms, err := strconv.ParseFloat(x, 64); err == nil {
			return msDuration(ms)
		}
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (use a string such as \"10s\" or a number of milliseconds)", x)
		}
		if d < 0 {
			return 0, errors.New("a duration cannot be negative")
		}
		return d, nil
	case int64:
		return msDuration(float64(x))
	case float64:
		return msDuration(x)
	default:
		return 0, fmt.Errorf("must be a duration such as \"10s\", not %s", describe(v))
	}
}

func msDuration(ms float64) (time.Duration, error) {
	if ms < 0 || math.IsNaN(ms) || ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, fmt.Errorf("%v ms is not a valid duration", ms)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

func toInt(v sobek.Value) (int64, error) {
	switch x := exportOf(v).(type) {
	case int64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, fmt.Errorf("must be an integer, not %v", x)
		}
		return int64(x), nil
	default:
		return 0, fmt.Errorf("must be an integer, not %s", describe(v))
	}
}

func toFloat(v sobek.Value) (float64, bool) {
	switch x := exportOf(v).(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	default:
		return 0, false
	}
}

// exportOf is v.Export() that also takes a nil Value: what an object's Get
// gives for an absent property or an array's hole, and what sobek passes a
// Go method for an argument the script left out.
func exportOf(v sobek.Value) any {
	if v == nil {
		return nil
	}
	return v.Export()
}

// wrapped returns the Go value of type T that v wraps: an object this
// extension made (a UserPicker, a session, openUsers' array, a Client).
// Unlike v.Export(), it does not copy a plain object into a map only to
// find it is not one of them; scripts pass user objects on every call.
func wrapped[T any](v sobek.Value) (T, bool) {
	var zero T
	o, ok := v.(*sobek.Object)
	if !ok || o.ExportType() != reflect.TypeFor[T]() {
		return zero, false
	}
	x, ok := o.Export().(T)
	return x, ok
}

func isArray(obj *sobek.Object) bool { return obj.ClassName() == "Array" }

func isFunction(obj *sobek.Object) bool {
	_, ok := sobek.AssertFunction(obj)
	return ok
}

// describe names the JS type of v for an error message, never its value:
// the value may be a secret.
func describe(v sobek.Value) string {
	if common.IsNullish(v) {
		if sobek.IsNull(v) {
			return "null"
		}
		return "undefined"
	}
	switch v.Export().(type) {
	case string:
		return "a string"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	if obj, ok := v.(*sobek.Object); ok {
		switch {
		case isFunction(obj):
			return "a function"
		case isArray(obj):
			return "an array"
		}
	}
	return "an object"
}

// oneOf checks that s is one of the allowed values.
func oneOf(path, s string, allowed ...string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return fmt.Errorf("%s must be one of %s, not %q", path, quoteAll(allowed), s)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
