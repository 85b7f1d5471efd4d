package extension

import (
	"errors"
	"math"
	"strings"
)

// userSet is a list of users loaded once per test run and shared by all
// VUs. Its users are packed: one string holds every text of every user,
// and each user is a fixed-size record of offsets into it. The garbage
// collector scans every pointer of the live heap at each cycle; as []User
// a million-user file would be millions of pointers to scan, cycle after
// cycle for the whole test (120,000 users as []User made each cycle of a
// k6 run cost 15-25 ms of CPU instead of 6), packed it is a handful.
type userSet struct {
	path string
	text string     // the texts of every user, back to back
	recs []userRec  // one per user; no pointers
	tf   []textSpan // the twoFactor lists, back to back; no pointers
}

// textSpan is text[off : off+n].
type textSpan struct{ off, n uint32 }

// The text fields of a userRec.
const (
	fieldEmail = iota
	fieldPassword
	fieldTOTPSecret
	fieldPhone
	fieldUsername
	fieldExternalID
	userTextFields
)

type userRec struct {
	id     int64
	fields [userTextFields]textSpan
	tf     textSpan // into userSet.tf
	hasTF  bool     // twoFactor given (an empty list is not an absent one)
}

var errTooManyUsers = errors.New("the users' texts exceed 4 GiB")

// packUsers packs users into a userSet.
func packUsers(path string, users []User) (*userSet, error) {
	size := 0
	ntf := 0
	for i := range users {
		u := &users[i]
		size += len(u.Email) + len(u.Password) + len(u.TOTPSecret) + len(u.Phone) + len(u.Username) + len(u.ExternalID)
		for _, m := range u.TwoFactor {
			size += len(m)
		}
		ntf += len(u.TwoFactor)
	}
	if size > math.MaxUint32 {
		return nil, errTooManyUsers
	}
	var b strings.Builder
	b.Grow(size)
	add := func(s string) textSpan {
		sp := textSpan{off: uint32(b.Len()), n: uint32(len(s))} //nolint:gosec // size is checked above
		b.WriteString(s)
		return sp
	}
	set := &userSet{path: path, recs: make([]userRec, len(users)), tf: make([]textSpan, 0, ntf)}
	for i := range users {
		u := &users[i]
		r := &set.recs[i]
		r.id = u.ID
		for f, s := range [userTextFields]string{u.Email, u.Password, u.TOTPSecret, u.Phone, u.Username, u.ExternalID} {
			r.fields[f] = add(s)
		}
		r.hasTF = u.TwoFactor != nil
		r.tf = textSpan{off: uint32(len(set.tf)), n: uint32(len(u.TwoFactor))} //nolint:gosec // fewer than the texts
		for _, m := range u.TwoFactor {
			set.tf = append(set.tf, add(m))
		}
	}
	set.text = b.String()
	return set, nil
}

// Len is the number of users.
func (s *userSet) Len() int { return len(s.recs) }

// At returns user i. Its strings share the set's text: no copy.
func (s *userSet) At(i int) User {
	r := &s.recs[i]
	u := User{
		ID:         r.id,
		Email:      s.str(r.fields[fieldEmail]),
		Password:   s.str(r.fields[fieldPassword]),
		TOTPSecret: s.str(r.fields[fieldTOTPSecret]),
		Phone:      s.str(r.fields[fieldPhone]),
		Username:   s.str(r.fields[fieldUsername]),
		ExternalID: s.str(r.fields[fieldExternalID]),
	}
	if r.hasTF {
		u.TwoFactor = make([]string, r.tf.n)
		for j := range u.TwoFactor {
			u.TwoFactor[j] = s.str(s.tf[int(r.tf.off)+j])
		}
	}
	return u
}

// email is At(i).Email.
func (s *userSet) email(i int) string { return s.str(s.recs[i].fields[fieldEmail]) }

func (s *userSet) str(sp textSpan) string { return s.text[sp.off : sp.off+sp.n] }
