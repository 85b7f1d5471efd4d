package extension

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
)

// userSet is a list of users loaded once per test run and shared by all
// VUs. Its users are packed: their texts sit back to back in a few large
// strings, and each user is a fixed-size record of an offset and lengths
// into them. The garbage collector scans every pointer of the live heap at
// each cycle; as []User a million-user file would be millions of pointers
// to scan, cycle after cycle for the whole test (120,000 users as []User
// made each cycle of a k6 run cost 15-25 ms of CPU instead of 6), packed it
// is a few hundred. Texts and records are kept in chunks, so that a set
// built while a file streams in never copies what it already holds.
type userSet struct {
	path string
	n    int
	text []string    // chunks of at most textChunk bytes
	recs [][]userRec // chunks of recChunk records
	// first and total say which users of the file these are: users
	// first to first+n-1 (0-based) of total, the slice of this instance's
	// execution segment; segment is that segment ("" when not split).
	first, total int
	segment      string
	// byEmail finds a user by a hash of its email (no pointer to scan);
	// sameHash holds the rare emails whose hash an earlier, other email
	// has. Both are built once, with the set.
	byEmail  map[uint64]int32
	sameHash map[string]int32
	seed     maphash.Seed
}

const (
	textChunkBits = 22
	textChunk     = 1 << textChunkBits // 4 MiB
	recChunkBits  = 16
	recChunk      = 1 << recChunkBits
	// maxFieldLen bounds one text field of one user.
	maxFieldLen = math.MaxUint16
)

// The text fields of a userRec, in the order they are stored.
const (
	fieldEmail = iota
	fieldPassword
	fieldTOTPSecret
	fieldPhone
	fieldUsername
	fieldExternalID
	userTextFields
)

var fieldNames = [userTextFields]string{"email", "password", "totpSecret", "phone", "username", "externalId"}

// The bits of userRec.tf.
const (
	tfGoogle uint8 = 1 << iota
	tfSMS
	tfGiven // twoFactor was given (always, for a user file)
	tfDup   // an earlier user of the set has the same email
)

// userRec is one user: 32 bytes, no pointer. Its fields are consecutive in
// the set's text from off on.
type userRec struct {
	id   int64
	off  uint32
	lens [userTextFields]uint16
	tf   uint8
}

var errTooManyUsers = errors.New("the users' texts exceed 4 GiB")

// rawUser is one user as a decoder reads it, before it is packed.
type rawUser struct {
	id     int64
	fields [userTextFields][]byte
	tf     uint8
}

func (u *rawUser) reset() {
	u.id, u.tf = 0, 0
	for i := range u.fields {
		u.fields[i] = u.fields[i][:0]
	}
}

// setBuilder packs users into a userSet as they come.
type setBuilder struct {
	set *userSet
	buf []byte    // the text chunk being filled
	cur []userRec // the record chunk being filled
}

func newSetBuilder(path string) *setBuilder {
	return &setBuilder{set: &userSet{path: path}}
}

// add packs u. It checks only sizes: the decoders check the rest.
func (b *setBuilder) add(u *rawUser) error {
	need := 0
	var r userRec
	for f, v := range u.fields {
		if len(v) > maxFieldLen {
			return fmt.Errorf("%s is longer than %d bytes", fieldNames[f], maxFieldLen)
		}
		r.lens[f] = uint16(len(v)) //nolint:gosec // checked above
		need += len(v)
	}
	if len(b.buf)+need > textChunk {
		b.seal()
	}
	off := len(b.set.text)*textChunk + len(b.buf)
	if off+need > math.MaxUint32 {
		return errTooManyUsers
	}
	r.id, r.off, r.tf = u.id, uint32(off), u.tf //nolint:gosec // checked above
	for _, v := range u.fields {
		b.buf = append(b.buf, v...)
	}
	if len(b.cur) == recChunk {
		b.set.recs = append(b.set.recs, b.cur)
		b.cur = make([]userRec, 0, recChunk)
	}
	b.cur = append(b.cur, r)
	b.set.n++
	return nil
}

// seal ends the text chunk being filled.
func (b *setBuilder) seal() {
	b.set.text = append(b.set.text, string(b.buf))
	b.buf = b.buf[:0]
}

// finish returns the set; the builder is not used again.
func (b *setBuilder) finish() *userSet {
	if len(b.buf) > 0 {
		b.seal()
	}
	if len(b.cur) > 0 {
		b.set.recs = append(b.set.recs, b.cur)
	}
	b.buf, b.cur = nil, nil
	if b.set.total == 0 {
		b.set.total = b.set.n
	}
	b.set.index()
	return b.set
}

// index builds byEmail and sameHash, and marks the users whose email an
// earlier user has.
func (s *userSet) index() {
	s.seed = maphash.MakeSeed()
	s.byEmail = make(map[uint64]int32, s.n)
	s.sameHash = map[string]int32{}
	for i := range s.n {
		email := s.email(i)
		h := maphash.String(s.seed, email)
		j, taken := s.byEmail[h]
		switch {
		case !taken:
			s.byEmail[h] = int32(i) //nolint:gosec // fewer than 2^31 users
			continue
		case s.email(int(j)) == email:
		default:
			if _, dup := s.sameHash[email]; !dup {
				s.sameHash[email] = int32(i) //nolint:gosec // fewer than 2^31 users
				continue
			}
		}
		s.rec(i).tf |= tfDup
	}
}

// lookup returns the first user of email.
func (s *userSet) lookup(email string) (int, bool) {
	if i, ok := s.sameHash[email]; ok {
		return int(i), true
	}
	i, ok := s.byEmail[maphash.String(s.seed, email)]
	if !ok || s.email(int(i)) != email {
		return 0, false
	}
	return int(i), true
}

// packUsers packs users into a userSet.
func packUsers(path string, users []User) (*userSet, error) {
	b := newSetBuilder(path)
	var raw rawUser
	for i := range users {
		u := &users[i]
		raw.reset()
		raw.id = u.ID
		for f, s := range [userTextFields]string{u.Email, u.Password, u.TOTPSecret, u.Phone, u.Username, u.ExternalID} {
			raw.fields[f] = append(raw.fields[f], s...)
		}
		if u.TwoFactor != nil {
			raw.tf = tfGiven
			for _, m := range u.TwoFactor {
				raw.tf |= methodBit(m)
			}
		}
		if err := b.add(&raw); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// methodBit is the tf bit of a 2FA method (checkUser allows no other).
func methodBit(m string) uint8 {
	switch m {
	case "google":
		return tfGoogle
	case "sms":
		return tfSMS
	}
	return 0
}

// methodList is the twoFactor list of tf bits, in the order google, sms.
func methodList(tf uint8) []string {
	if tf&tfGiven == 0 {
		return nil
	}
	list := make([]string, 0, 2)
	if tf&tfGoogle != 0 {
		list = append(list, "google")
	}
	if tf&tfSMS != 0 {
		list = append(list, "sms")
	}
	return list
}

// Len is the number of users.
func (s *userSet) Len() int { return s.n }

func (s *userSet) rec(i int) *userRec { return &s.recs[i>>recChunkBits][i&(recChunk-1)] }

// field returns text field f of r. It shares the set's text: no copy.
func (s *userSet) field(r *userRec, f int) string {
	off := int(r.off)
	for k := range f {
		off += int(r.lens[k])
	}
	chunk := s.text[off>>textChunkBits]
	o := off & (textChunk - 1)
	return chunk[o : o+int(r.lens[f])]
}

// At returns user i. Its strings share the set's text: no copy.
func (s *userSet) At(i int) User {
	r := s.rec(i)
	return User{
		ID:         r.id,
		Email:      s.field(r, fieldEmail),
		Password:   s.field(r, fieldPassword),
		TOTPSecret: s.field(r, fieldTOTPSecret),
		Phone:      s.field(r, fieldPhone),
		Username:   s.field(r, fieldUsername),
		ExternalID: s.field(r, fieldExternalID),
		TwoFactor:  methodList(r.tf),
	}
}

// email is At(i).Email.
func (s *userSet) email(i int) string { return s.field(s.rec(i), fieldEmail) }
