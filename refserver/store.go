package refserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Lock order, outermost first: a wizard's mu → a lockout shard → an
// account's mu → a session's mu → shardMap shard locks (leaves). No code
// takes them in another order.

// account is one client. id, email, username and externalID never change;
// everything else is guarded by mu.
type account struct {
	id         int64
	email      string // lower-case
	username   string // lower-case
	externalID string

	// Load-test users are created with their plaintext password and hashed
	// lazily: by the background worker or, if a sign-in comes first, on
	// demand. hashOnce makes that happen exactly once; the plaintext is
	// dropped as soon as the hash exists.
	hashOnce sync.Once

	mu            sync.Mutex
	pwPlain       string
	pw            passwordHash
	phone         string // E.164, "" for none
	totpSecret    string // base32, "" unless Google Authenticator is enabled
	googleOn      bool
	smsOn         bool
	lastTOTPStep  int64 // highest TOTP step accepted (no replay)
	resetRequired bool
	tfaChanges    []*tfaChange
	pwChanges     []*pwChange
}

// ensureHashed hashes a lazily created password, once.
func (a *account) ensureHashed(p HashParams) {
	a.hashOnce.Do(func() {
		a.mu.Lock()
		plain := a.pwPlain
		a.mu.Unlock()
		if plain == "" {
			return
		}
		h := hashPassword(p, plain)
		a.mu.Lock()
		a.pw, a.pwPlain = h, ""
		a.mu.Unlock()
	})
}

// checkPassword reports whether password is the account's, hashing a lazy
// password first. The argon2 work runs without holding mu.
func (a *account) checkPassword(p HashParams, password string) bool {
	a.ensureHashed(p)
	a.mu.Lock()
	h := a.pw
	a.mu.Unlock()
	return h.verify(password)
}

// setPassword stores a new password (hashed by the caller) and clears the
// reset-required flag.
func (a *account) setPassword(h passwordHash) {
	a.hashOnce.Do(func() {}) // a lazy plaintext, if still there, is obsolete
	a.mu.Lock()
	a.pw, a.pwPlain = h, ""
	a.resetRequired = false
	a.mu.Unlock()
}

// tfaState is a snapshot of the account's 2FA settings.
type tfaState struct {
	google, sms   bool
	phone         string
	resetRequired bool
}

func (a *account) tfa() tfaState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return tfaState{google: a.googleOn, sms: a.smsOn, phone: a.phone, resetRequired: a.resetRequired}
}

// accountStore indexes accounts by id and by each identifier.
type accountStore struct {
	lastID       atomic.Int64
	byID         *shardMap[int64, *account]
	byEmail      *shardMap[string, *account]
	byUsername   *shardMap[string, *account]
	byExternalID *shardMap[string, *account]
	byPhone      *shardMap[string, *account] // key: phoneKey(phone)
}

func newAccountStore() *accountStore {
	return &accountStore{
		byID:         newShardMap[int64, *account](hashInt),
		byEmail:      newShardMap[string, *account](hashString),
		byUsername:   newShardMap[string, *account](hashString),
		byExternalID: newShardMap[string, *account](hashString),
		byPhone:      newShardMap[string, *account](hashString),
	}
}

var errTaken = errors.New("identifier already in use")

// add indexes a new account. Its email, username, external id and phone
// must be unused.
func (st *accountStore) add(a *account) error {
	if _, ok := st.byEmail.putIfAbsent(a.email, a); !ok {
		return fmt.Errorf("email: %w", errTaken)
	}
	if a.username != "" {
		if _, ok := st.byUsername.putIfAbsent(a.username, a); !ok {
			st.byEmail.delete(a.email)
			return fmt.Errorf("username: %w", errTaken)
		}
	}
	if a.externalID != "" {
		if _, ok := st.byExternalID.putIfAbsent(a.externalID, a); !ok {
			st.byEmail.delete(a.email)
			st.byUsername.delete(a.username)
			return fmt.Errorf("externalId: %w", errTaken)
		}
	}
	if a.phone != "" {
		if _, ok := st.byPhone.putIfAbsent(phoneKey(a.phone), a); !ok {
			st.byEmail.delete(a.email)
			st.byUsername.delete(a.username)
			st.byExternalID.delete(a.externalID)
			return fmt.Errorf("phone: %w", errTaken)
		}
	}
	st.byID.put(a.id, a)
	return nil
}

func (st *accountStore) nextID() int64 { return st.lastID.Add(1) }

// setPhone gives a the phone number, unless another account has it. The
// caller holds a.mu.
func (st *accountStore) setPhoneLocked(a *account, phone string) error {
	if phone == a.phone {
		return nil
	}
	if cur, ok := st.byPhone.putIfAbsent(phoneKey(phone), a); !ok && cur != a {
		return errTaken
	}
	if a.phone != "" {
		st.byPhone.deleteIf(phoneKey(a.phone), func(o *account) bool { return o == a })
	}
	a.phone = phone
	return nil
}

func (st *accountStore) byEmailAddr(email string) *account {
	a, _ := st.byEmail.get(normalizeEmail(email))
	return a
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// phoneKey is the digits of a phone number: "+1 (555) 010-0000" and
// "15550100000" are the same number.
func phoneKey(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validE164 reports whether p is an E.164 number: '+', a non-zero digit, 7
// to 15 digits in all.
func validE164(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// ---- secrets ----

// newToken returns an opaque bearer secret: 32 random bytes, base64url.
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// digest is how secrets are stored and looked up: their SHA-256. A lookup
// by digest in a hash map does not leak the secret through timing.
func digest(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

var million = big.NewInt(1_000_000)

// newCode returns a uniformly random 6-digit code.
func newCode() string {
	n, _ := rand.Int(rand.Reader, million) // crypto/rand.Reader never fails
	return fmt.Sprintf("%06d", n.Int64())
}

// newTOTPSecret returns a fresh 160-bit base32 TOTP secret (RFC 4226 §4).
func newTOTPSecret() string {
	var b [20]byte
	rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// newPassword returns a strong random password with every character class.
func newPassword() string {
	var b [15]byte
	rand.Read(b[:])
	return "Af1!" + base64.RawURLEncoding.EncodeToString(b[:])
}

// fmtTime is the documents' timestamp form, in UTC ("+00:00").
func fmtTime(t time.Time) string { return t.UTC().Format(b2core.TimeLayout) }
