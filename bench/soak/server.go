package main

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// server is the one `authflow serve` process every run of a soak goes to.
type server struct {
	*serveproc.Server
	users string // the users file it wrote
}

// startServer starts `authflow serve` on a free loopback port with users
// users without 2FA (soak.js signs in users of kind none), written to
// out/users.json, and waits until it is ready and its background password
// hashing is done.
func startServer(bin, out string, users int) (*server, error) {
	s := &server{users: filepath.Join(out, "users.json")}
	var err error
	s.Server, err = serveproc.Start(bin, filepath.Join(out, "server.url"), filepath.Join(out, "server.log"),
		"--users", strconv.Itoa(users), "--users-file", s.users,
		"--users-mix", "none=100,google=0,sms=0,both=0", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	s.WaitIdle(time.Minute)
	return s, nil
}
