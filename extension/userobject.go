package extension

import (
	"slices"

	"github.com/grafana/sobek"
)

// userObject is how a user reaches a script (users[i] of openUsers(),
// picker.next(), hooks.createClient()): a host object (see hostobject.go)
// over the script's own copy of the user, with the properties the plain
// object had ({id, email, password, totpSecret, phone, twoFactor,
// username?, externalId?}, in that order). A user handed back to signIn()
// unchanged is taken as it is, without reading a property.
type userObject struct {
	rt *sobek.Runtime
	u  User
	// lease is the picker's reservation of the user (next()), read as the
	// hidden property leaseKey.
	lease int64
	overlay
	// twoFactor is the array, made on first read (the script may change
	// it, and user.twoFactor === user.twoFactor).
	twoFactor *sobek.Object
}

var _ sobek.DynamicObject = (*userObject)(nil)

// userKeys are a user object's properties, in order.
var userKeys = [...]string{"id", "email", "password", "totpSecret", "phone", "twoFactor", "username", "externalId"}

func newUserObject(rt *sobek.Runtime, u User) *sobek.Object {
	return rt.NewDynamicObject(&userObject{rt: rt, u: u})
}

// user returns the user if the script changed nothing; false sends userArg
// the long way, reading the object's properties.
func (o *userObject) user() (User, bool) {
	return o.u, !o.touched() && o.twoFactor == nil
}

// Get implements sobek.DynamicObject.
func (o *userObject) Get(key string) sobek.Value {
	if v, ok := o.get(key); ok {
		return v
	}
	switch key {
	case "id":
		return o.rt.ToValue(o.u.ID)
	case "email":
		return o.rt.ToValue(o.u.Email)
	case "password":
		return o.rt.ToValue(o.u.Password)
	case "totpSecret":
		return o.rt.ToValue(nullable(o.u.TOTPSecret))
	case "phone":
		return o.rt.ToValue(nullable(o.u.Phone))
	case "twoFactor":
		if o.twoFactor == nil {
			o.twoFactor = stringArray(o.rt, o.u.TwoFactor)
		}
		return o.twoFactor
	case "username":
		if o.u.Username != "" {
			return o.rt.ToValue(o.u.Username)
		}
	case "externalId":
		if o.u.ExternalID != "" {
			return o.rt.ToValue(o.u.ExternalID)
		}
	case leaseKey:
		if o.lease != 0 {
			return o.rt.ToValue(o.lease)
		}
	}
	return nil
}

// own reports whether key is one of the user's properties as made.
func (o *userObject) own(key string) bool {
	switch key {
	case "username":
		return o.u.Username != ""
	case "externalId":
		return o.u.ExternalID != ""
	}
	return slices.Contains(userKeys[:], key)
}

// Set implements sobek.DynamicObject.
func (o *userObject) Set(key string, val sobek.Value) bool {
	if key == leaseKey {
		return false // the picker's, read-only as it was
	}
	o.set(key, val, o.own(key))
	return true
}

// Has implements sobek.DynamicObject.
func (o *userObject) Has(key string) bool {
	if v, ok := o.get(key); ok {
		return v != nil
	}
	return o.own(key) || (key == leaseKey && o.lease != 0)
}

// Delete implements sobek.DynamicObject.
func (o *userObject) Delete(key string) bool {
	if key == leaseKey {
		return false
	}
	if o.Has(key) {
		o.del(key)
	}
	return true
}

// Keys implements sobek.DynamicObject: the user's properties in the order
// of the plain object, then those the script added.
func (o *userObject) Keys() []string {
	keys := make([]string, 0, len(userKeys)+len(o.added))
	for _, k := range userKeys {
		if o.Has(k) {
			keys = append(keys, k)
		}
	}
	return o.appendAdded(keys)
}

// stringArray returns a JS array of strings (empty for nil).
func stringArray(rt *sobek.Runtime, list []string) *sobek.Object {
	arr := make([]any, len(list))
	for i, s := range list {
		arr[i] = s
	}
	return rt.NewArray(arr...)
}

// MarshalJSON implements json.Marshaler (see marshalObject).
func (o *userObject) MarshalJSON() ([]byte, error) { return marshalObject(o.Keys(), o.Get) }
