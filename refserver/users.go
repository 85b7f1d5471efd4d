package refserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Load-test users (`authflow serve --users N`).
//
// N deterministic accounts are created at start: user i (1..N) has id i,
// email user<i>@load.authflow.test, username user<i>, external id load-<i>,
// and a password, a TOTP secret and a phone derived from the seed and i with
// HMAC-SHA256, so the same seed always yields the same users and file. The
// mix says which 2FA methods each one has; kinds are interleaved (smooth
// weighted round robin), so any prefix of the file has about the same mix.
//
// Creating 100 000 users takes well under a second because nothing is
// hashed up front: each account keeps its plaintext password until it is
// hashed, either by the background worker that walks all users after start
// or, if a sign-in comes first, on demand (exactly once, under a sync.Once).
// The plaintext is dropped as soon as the hash exists. The users file, with
// the passwords the load test needs, is written (atomically: a temporary
// file renamed) before New returns, so before the server says it is ready.

// MaxUsers bounds UsersConfig.Count (phone numbers carry i in 7 digits).
const MaxUsers = 9_999_999

// DefaultUsersSeed is the seed when none is given.
const DefaultUsersSeed = "authflow"

// UsersConfig asks for load-test users.
type UsersConfig struct {
	Count int
	Mix   Mix    // zero: DefaultMix
	Seed  string // "": DefaultUsersSeed
	// EveryPhone gives every user a phone, also those without SMS (the
	// alt personality); TwoFactor still says which methods are enabled.
	EveryPhone bool
	// File is where the users are written: JSON array, or CSV when the name
	// ends in .csv. "": no file.
	File string
}

// Mix weighs the 2FA kinds of load-test users.
type Mix struct {
	None, Google, SMS, Both int
}

// DefaultMix is 25% without 2FA, 50% Google, 15% SMS, 10% both.
var DefaultMix = Mix{None: 25, Google: 50, SMS: 15, Both: 10}

func (m Mix) String() string {
	return fmt.Sprintf("none=%d,google=%d,sms=%d,both=%d", m.None, m.Google, m.SMS, m.Both)
}

// ParseMix parses "none=25,google=50,sms=15,both=10"; kinds left out weigh 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	if strings.TrimSpace(s) == "" {
		return DefaultMix, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || n < 0 || n > 1_000_000 {
			return m, fmt.Errorf("bad mix item %q: want kind=weight with a non-negative integer weight", part)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "none":
			m.None = n
		case "google":
			m.Google = n
		case "sms":
			m.SMS = n
		case "both":
			m.Both = n
		default:
			return m, fmt.Errorf("bad mix kind %q: want none, google, sms or both", k)
		}
	}
	if m == (Mix{}) {
		return m, fmt.Errorf("mix %q weighs nothing", s)
	}
	return m, nil
}

// LoadUser is one load-test user as written to the users file.
type LoadUser struct {
	ID         int64    `json:"id"`
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	TOTPSecret *string  `json:"totpSecret"`
	Phone      *string  `json:"phone"`
	TwoFactor  []string `json:"twoFactor"`
	Username   string   `json:"username"`
	ExternalID string   `json:"externalId"`
}

// GenerateUsers derives cfg.Count users; the same config gives the same users.
func GenerateUsers(cfg UsersConfig) ([]LoadUser, error) {
	g, err := newUserGen(cfg)
	if err != nil {
		return nil, err
	}
	users := make([]LoadUser, cfg.Count)
	for n := range users {
		users[n] = g.next()
		users[n].TwoFactor = slices.Clone(users[n].TwoFactor) // the caller's own
	}
	return users, nil
}

// userGen derives load-test users one after the other (user i's kind
// depends on the ones before it).
type userGen struct {
	mac     hash.Hash
	area    int
	b32     *base32.Encoding
	weights [4]int
	total   int
	current [4]int
	i       int
	sum     []byte
	// everyPhone gives a phone to users without SMS too (UsersConfig.EveryPhone).
	everyPhone bool
}

func newUserGen(cfg UsersConfig) (*userGen, error) {
	if cfg.Count < 0 || cfg.Count > MaxUsers {
		return nil, fmt.Errorf("users count must be 0 to %d", MaxUsers)
	}
	mix := cfg.Mix
	if mix == (Mix{}) {
		mix = DefaultMix
	}
	seed := cfg.Seed
	if seed == "" {
		seed = DefaultUsersSeed
	}
	g := &userGen{
		mac:     hmac.New(sha256.New, []byte("authflow load users\x00"+seed)),
		b32:     base32.StdEncoding.WithPadding(base32.NoPadding),
		weights: [4]int{mix.None, mix.Google, mix.SMS, mix.Both},
		total:   mix.None + mix.Google + mix.SMS + mix.Both,

		everyPhone: cfg.EveryPhone,
	}
	g.area = 200 + int(binary.BigEndian.Uint16(g.derive("phone-area", 0)))%800
	return g, nil
}

func (g *userGen) derive(label string, i int) []byte {
	g.mac.Reset()
	g.mac.Write([]byte(label))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i)) //nolint:gosec // i is positive
	g.mac.Write(b[:])
	g.sum = g.mac.Sum(g.sum[:0])
	return g.sum
}

// next derives the next user.
func (g *userGen) next() LoadUser {
	g.i++
	i := g.i
	// Smooth weighted round robin: interleaved, exact proportions.
	pick := -1
	for k := range g.current {
		if g.weights[k] == 0 {
			continue
		}
		g.current[k] += g.weights[k]
		if pick < 0 || g.current[k] > g.current[pick] {
			pick = k
		}
	}
	g.current[pick] -= g.total
	n := strconv.Itoa(i)
	email := "user" + n + "@load.authflow.test"
	u := LoadUser{
		ID:         int64(i),
		Email:      email,
		Password:   "Lt1!" + base64.RawURLEncoding.EncodeToString(g.derive("password", i)[:12]),
		TwoFactor:  []string{},
		Username:   email[:4+len(n)], // "user<i>", sharing the email's bytes
		ExternalID: "load-" + n,
	}
	if pick == 1 || pick == 3 {
		secret := g.b32.EncodeToString(g.derive("totp", i)[:20])
		u.TOTPSecret = &secret
		u.TwoFactor = googleOnly
	}
	if pick == 2 || pick == 3 || g.everyPhone {
		phone := fmt.Sprintf("+1%03d%07d", g.area, i)
		u.Phone = &phone
	}
	if pick == 2 || pick == 3 {
		u.TwoFactor = smsOnly
		if pick == 3 {
			u.TwoFactor = googleAndSMS
		}
	}
	return u
}

// The twoFactor lists of generated users, shared (never changed).
var (
	googleOnly   = []string{b2core.ProviderGoogle}
	smsOnly      = []string{b2core.ProviderSMS}
	googleAndSMS = []string{b2core.ProviderGoogle, b2core.ProviderSMS}
)

// createUsers adds the load-test users (ids 1..N: New calls it before any
// other account exists) and writes their file. The stages overlap: one
// goroutine derives users (HMAC) in batches, two index their accounts
// (allocated in one block, each user at its id's place), one writes the
// file in order; no list of all users is held.
func (s *Server) createUsers(cfg UsersConfig) error {
	start := time.Now()
	g, err := newUserGen(cfg)
	if err != nil {
		return err
	}
	if s.accounts.lastID.Load() != 0 {
		return errors.New("load-test users must be created before any other account")
	}
	var w *usersWriter
	if cfg.File != "" {
		if w, err = createUsersFile(cfg.File); err != nil {
			return err
		}
	}
	const batch, indexers = 4096, 2
	toIndex, toWrite := make(chan []LoadUser, 2), make(chan []LoadUser, 4)
	go func() { // derive
		defer close(toIndex)
		defer close(toWrite)
		for left := cfg.Count; left > 0; left -= batch {
			b := make([]LoadUser, min(batch, left))
			for i := range b {
				b[i] = g.next()
			}
			toIndex <- b
			toWrite <- b
		}
	}()
	s.accounts.reserve(cfg.Count)
	block := make([]account, cfg.Count)
	s.loadUsers = make([]*account, cfg.Count)
	var wg sync.WaitGroup
	for range indexers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range toIndex {
				for i := range b {
					s.loadUsers[b[i].ID-1] = s.indexLoadUser(&block[b[i].ID-1], &b[i])
				}
			}
		}()
	}
	for b := range toWrite { // write, in order
		for i := 0; i < len(b) && err == nil && w != nil; i++ {
			err = w.add(&b[i])
		}
	}
	wg.Wait()
	s.accounts.lastID.Store(int64(cfg.Count))
	if w != nil {
		if err == nil {
			err = w.finish()
		} else {
			w.abort()
		}
	}
	if err != nil {
		return err
	}
	s.log.Info("load-test users created", "count", cfg.Count, "file", cfg.File, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// indexLoadUser makes a the account of u and indexes it.
func (s *Server) indexLoadUser(a *account, u *LoadUser) *account {
	a.id, a.email, a.username, a.externalID, a.pwPlain = u.ID, u.Email, u.Username, u.ExternalID, u.Password
	if u.TOTPSecret != nil {
		a.totpSecret, a.googleOn = *u.TOTPSecret, slices.Contains(u.TwoFactor, b2core.ProviderGoogle)
	}
	if u.Phone != nil {
		a.phone, a.smsOn = *u.Phone, slices.Contains(u.TwoFactor, b2core.ProviderSMS)
	}
	s.accounts.addLoadUser(a)
	return a
}

// hashUsers hashes every lazily created password in the background.
func (s *Server) hashUsers(ctx context.Context) {
	defer s.wg.Done()
	if len(s.loadUsers) >= boundHashingFrom {
		defer boundMemory(hashingHeadroom)()
	}
	start := time.Now()
	for _, a := range s.loadUsers {
		if ctx.Err() != nil {
			return
		}
		a.ensureHashed(s.cfg.Hash)
	}
	s.log.Info("load-test user passwords hashed", "count", len(s.loadUsers), "duration", time.Since(start).Round(time.Millisecond))
}

// Each hash leaves 16 KiB (the load-test cost's memory) of garbage, and
// the garbage collector lets garbage grow as large as the live heap before
// it runs: hashing a million users took `serve` from 0.8 to 1.7 GB. While
// it hashes that many, the worker caps the process's memory a little above
// what it holds when ready (Go's soft memory limit, unless one is set
// already: GOMEMLIMIT), so the collector runs sooner instead.
const (
	boundHashingFrom = 100_000
	hashingHeadroom  = 160 << 20
)

// boundMemory sets a soft memory limit of the memory the runtime holds once
// the garbage is gone, plus headroom, unless a limit is set, and returns
// what undoes it.
func boundMemory(headroom uint64) func() {
	const unset = math.MaxInt64
	if debug.SetMemoryLimit(-1) != unset {
		return func() {}
	}
	debug.FreeOSMemory() // what is held now is what is live
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(min(ms.Sys-ms.HeapReleased+headroom, unset))) //nolint:gosec // bounded above
	return func() { debug.SetMemoryLimit(unset) }
}

// WriteUsersFile writes users to path atomically: JSON array, or CSV (header
// email,password,totpSecret,phone,twoFactor,id; twoFactor "google|sms"
// style, empty for none) when path ends in .csv.
func WriteUsersFile(path string, users []LoadUser) error {
	w, err := createUsersFile(path)
	if err != nil {
		return err
	}
	for i := range users {
		if err := w.add(&users[i]); err != nil {
			w.abort()
			return err
		}
	}
	return w.finish()
}

// addLoadUser indexes a load-test account without looking for a clash
// first: they are made before any other account, each with its own number
// in every identifier (TestLoadUsersServer checks they are all found).
func (st *accountStore) addLoadUser(a *account) {
	st.byEmail.put(a.email, a)
	st.byUsername.put(a.username, a)
	st.byExternalID.put(a.externalID, a)
	if a.phone != "" {
		st.byPhone.put(phoneKey(a.phone), a)
	}
	st.byID.put(a.id, a)
}

// reserve makes room for n more accounts in every index but phones, which
// only some have.
func (st *accountStore) reserve(n int) {
	st.byID.reserve(n)
	st.byEmail.reserve(n)
	st.byUsername.reserve(n)
	st.byExternalID.reserve(n)
}
