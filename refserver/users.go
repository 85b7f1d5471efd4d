package refserver

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	mac := hmac.New(sha256.New, []byte("authflow load users\x00"+seed))
	derive := func(label string, i int) []byte {
		mac.Reset()
		mac.Write([]byte(label))
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		mac.Write(b[:])
		return mac.Sum(nil)
	}
	area := 200 + int(binary.BigEndian.Uint16(derive("phone-area", 0)))%800
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
	weights := [4]int{mix.None, mix.Google, mix.SMS, mix.Both}
	total := mix.None + mix.Google + mix.SMS + mix.Both
	var current [4]int
	users := make([]LoadUser, cfg.Count)
	for n := range users {
		i := n + 1
		// Smooth weighted round robin: interleaved, exact proportions.
		pick := -1
		for k := range current {
			if weights[k] == 0 {
				continue
			}
			current[k] += weights[k]
			if pick < 0 || current[k] > current[pick] {
				pick = k
			}
		}
		current[pick] -= total
		u := LoadUser{
			ID:         int64(i),
			Email:      fmt.Sprintf("user%d@load.authflow.test", i),
			Password:   "Lt1!" + base64.RawURLEncoding.EncodeToString(derive("password", i)[:12]),
			TwoFactor:  []string{},
			Username:   fmt.Sprintf("user%d", i),
			ExternalID: fmt.Sprintf("load-%d", i),
		}
		if pick == 1 || pick == 3 {
			secret := b32.EncodeToString(derive("totp", i)[:20])
			u.TOTPSecret = &secret
			u.TwoFactor = append(u.TwoFactor, b2core.ProviderGoogle)
		}
		if pick == 2 || pick == 3 || cfg.EveryPhone {
			phone := fmt.Sprintf("+1%03d%07d", area, i)
			u.Phone = &phone
		}
		if pick == 2 || pick == 3 {
			u.TwoFactor = append(u.TwoFactor, b2core.ProviderSMS)
		}
		users[n] = u
	}
	return users, nil
}

// createUsers adds the load-test users (ids 1..N: New calls it before any
// other account exists) and writes their file.
func (s *Server) createUsers(cfg UsersConfig) error {
	start := time.Now()
	users, err := GenerateUsers(cfg)
	if err != nil {
		return err
	}
	s.loadUsers = make([]*account, 0, len(users))
	for _, u := range users {
		a := &account{
			id:         s.accounts.nextID(),
			email:      u.Email,
			username:   u.Username,
			externalID: u.ExternalID,
			pwPlain:    u.Password,
		}
		if a.id != u.ID {
			return fmt.Errorf("load-test user %d got id %d: users must be created first", u.ID, a.id)
		}
		if u.TOTPSecret != nil {
			a.totpSecret, a.googleOn = *u.TOTPSecret, slices.Contains(u.TwoFactor, b2core.ProviderGoogle)
		}
		if u.Phone != nil {
			a.phone, a.smsOn = *u.Phone, slices.Contains(u.TwoFactor, b2core.ProviderSMS)
		}
		if err := s.accounts.add(a); err != nil {
			return fmt.Errorf("load-test user %d: %w", u.ID, err)
		}
		s.loadUsers = append(s.loadUsers, a)
	}
	if cfg.File != "" {
		if err := WriteUsersFile(cfg.File, users); err != nil {
			return err
		}
	}
	s.log.Info("load-test users created", "count", len(users), "file", cfg.File, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// hashUsers hashes every lazily created password in the background.
func (s *Server) hashUsers(ctx context.Context) {
	defer s.wg.Done()
	start := time.Now()
	for _, a := range s.loadUsers {
		if ctx.Err() != nil {
			return
		}
		a.ensureHashed(s.cfg.Hash)
	}
	s.log.Info("load-test user passwords hashed", "count", len(s.loadUsers), "duration", time.Since(start).Round(time.Millisecond))
}

// WriteUsersFile writes users to path atomically: JSON array, or CSV (header
// email,password,totpSecret,phone,twoFactor,id; twoFactor "google|sms"
// style, empty for none) when path ends in .csv.
func WriteUsersFile(path string, users []LoadUser) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		cw := csv.NewWriter(bw)
		cw.Write([]string{"email", "password", "totpSecret", "phone", "twoFactor", "id"})
		for _, u := range users {
			var secret, phone string
			if u.TOTPSecret != nil {
				secret = *u.TOTPSecret
			}
			if u.Phone != nil {
				phone = *u.Phone
			}
			cw.Write([]string{u.Email, u.Password, secret, phone, strings.Join(u.TwoFactor, "|"), strconv.FormatInt(u.ID, 10)})
		}
		cw.Flush()
		if err = cw.Error(); err != nil {
			return fmt.Errorf("users file: %w", err)
		}
	} else {
		enc := json.NewEncoder(bw)
		if err = enc.Encode(users); err != nil {
			return fmt.Errorf("users file: %w", err)
		}
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err = os.Chmod(f.Name(), 0o600); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}
