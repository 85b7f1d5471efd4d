package refserver

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams is the argon2id cost of a stored password.
type HashParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes
}

// LoadTestHash is the default cost: deliberately low (one pass over 16 KiB,
// about 40 µs on a current core) so that password hashing never limits a load
// test of the flows around it. It is NOT a safe cost for stored passwords.
var LoadTestHash = HashParams{Time: 1, MemoryKiB: 16, Threads: 1}

// ProductionHash is the OWASP Password Storage Cheat Sheet's argon2id
// minimum (m=19 MiB, t=2, p=1): a sign-in costs tens of milliseconds of CPU,
// as on a real deployment.
var ProductionHash = HashParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// ParseHashCost maps a named cost ("load" or "production") to its params.
func ParseHashCost(name string) (HashParams, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "load", "loadtest", "load-test":
		return LoadTestHash, nil
	case "production", "prod", "owasp":
		return ProductionHash, nil
	}
	return HashParams{}, fmt.Errorf("unknown hash cost %q (want load or production)", name)
}

// Validate reports whether argon2 can run with p.
func (p HashParams) Validate() error {
	switch {
	case p.Time < 1:
		return fmt.Errorf("argon2 time must be at least 1")
	case p.Threads < 1:
		return fmt.Errorf("argon2 threads must be at least 1")
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("argon2 memory must be at least 8 KiB per thread")
	case p.MemoryKiB > 4<<20:
		return fmt.Errorf("argon2 memory must be at most 4 GiB")
	case p.Time > 1000:
		return fmt.Errorf("argon2 time must be at most 1000")
	}
	return nil
}

func (p HashParams) String() string {
	return fmt.Sprintf("argon2id t=%d m=%dKiB p=%d", p.Time, p.MemoryKiB, p.Threads)
}

// passwordHash is a stored password: argon2id of the password with a random
// salt, with the params it was made with.
type passwordHash struct {
	params HashParams
	salt   [16]byte
	key    [32]byte
}

func hashPassword(p HashParams, password string) passwordHash {
	h := passwordHash{params: p}
	rand.Read(h.salt[:])
	h.derive(password, &h.key)
	return h
}

func (h *passwordHash) derive(password string, out *[32]byte) {
	k := argon2.IDKey([]byte(password), h.salt[:], h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(out)))
	copy(out[:], k)
}

// verify reports in constant time whether password matches h.
func (h *passwordHash) verify(password string) bool {
	var k [32]byte
	h.derive(password, &k)
	return subtle.ConstantTimeCompare(k[:], h.key[:]) == 1
}
