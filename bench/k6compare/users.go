package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// ---- users ----

// userPool hands out the server's users as a ring: a user comes back 31 s
// after its last flow (the next 30-second TOTP step), so a run never meets
// TOTP replay protection.
type userPool struct {
	users  [][]byte // raw JSON objects
	freeAt []time.Time
	next   int
}

func loadPool(path string) (*userPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &userPool{users: make([][]byte, len(raw)), freeAt: make([]time.Time, len(raw))}
	for i, r := range raw {
		p.users[i] = r
	}
	return p, nil
}

func (p *userPool) size() int { return len(p.users) }

// take returns the position of n consecutive users (wrapping), waiting until
// all are free.
func (p *userPool) take(n int) int {
	if n > len(p.users) {
		fatalf("a run needs %d users, the server has %d (raise -users)", n, len(p.users))
	}
	pos := p.next
	var latest time.Time
	for i := range n {
		if t := p.freeAt[(pos+i)%len(p.users)]; t.After(latest) {
			latest = t
		}
	}
	if d := time.Until(latest); d > 0 {
		logf("waiting %s for users to reach their next TOTP step (raise -users to avoid it)", d.Round(100*time.Millisecond))
		time.Sleep(d)
	}
	return pos
}

// release marks the first used users from pos as used now, and moves the
// ring past them.
func (p *userPool) release(pos, used int) {
	free := time.Now().Add(31 * time.Second)
	for i := range used {
		p.freeAt[(pos+i)%len(p.users)] = free
	}
	p.next = (pos + used) % len(p.users)
}
