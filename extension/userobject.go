package extension

import (
	"github.com/grafana/sobek"
)

// userObject is how a user reaches a script (users[i] of openUsers(),
// picker.next(), hooks.createClient()): a host object (see hostobject.go)
// over the script's own copy of the user, with the properties the plain
// object had ({id, email, password, totpSecret, phone, twoFactor,
// username?, externalId?}, in that order). A user handed back to signIn()
// unchanged is taken as it is, without reading a property.
type userObject = hostObject[userData]

// userData is a user, with the picker's reservation of it (next()), read as
// the hidden property leaseKey, and its twoFactor array, made on first read
// (the script may change it, and user.twoFactor === user.twoFactor).
type userData struct {
	u         User
	lease     int64
	twoFactor *sobek.Object
}

var userType = &hostType[userData]{fields: []field[userData]{
	{name: "id", get: func(d *userData, _ *sobek.Runtime) any { return d.u.ID }},
	{name: "email", get: func(d *userData, _ *sobek.Runtime) any { return d.u.Email }},
	{name: "password", get: func(d *userData, _ *sobek.Runtime) any { return d.u.Password }},
	{name: "totpSecret", get: func(d *userData, _ *sobek.Runtime) any { return nullable(d.u.TOTPSecret) }},
	{name: "phone", get: func(d *userData, _ *sobek.Runtime) any { return nullable(d.u.Phone) }},
	{name: "twoFactor", get: func(d *userData, rt *sobek.Runtime) any {
		if d.twoFactor == nil {
			d.twoFactor = stringArray(rt, d.u.TwoFactor)
		}
		return d.twoFactor
	}},
	{name: "username", get: func(d *userData, _ *sobek.Runtime) any { return d.u.Username }, present: func(d *userData) bool { return d.u.Username != "" }},
	{name: "externalId", get: func(d *userData, _ *sobek.Runtime) any { return d.u.ExternalID }, present: func(d *userData) bool { return d.u.ExternalID != "" }},
	{name: leaseKey, get: func(d *userData, _ *sobek.Runtime) any { return d.lease }, present: func(d *userData) bool { return d.lease != 0 }, hidden: true, readOnly: true},
}}

func newUserObject(rt *sobek.Runtime, u User) *sobek.Object { return newLeasedUserObject(rt, u, 0) }

func newLeasedUserObject(rt *sobek.Runtime, u User, lease int64) *sobek.Object {
	return rt.NewDynamicObject(&userObject{rt: rt, typ: userType, v: userData{u: u, lease: lease}})
}

// unchangedUser returns the user if the script changed nothing; false
// sends userArg the long way, reading the object's properties.
func unchangedUser(o *userObject) (User, bool) {
	return o.v.u, o.ov == nil && o.v.twoFactor == nil
}

// stringArray returns a JS array of strings (empty for nil).
func stringArray(rt *sobek.Runtime, list []string) *sobek.Object {
	arr := make([]any, len(list))
	for i, s := range list {
		arr[i] = s
	}
	return rt.NewArray(arr...)
}
