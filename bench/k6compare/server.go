package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// server is the one `authflow serve` process every run goes to.
type server struct{ *serveproc.Server }

// startServer starts `authflow serve` on a free loopback port with users
// Google-TOTP users, written to out/users.json.
func startServer(bin, out string, users int) (*server, error) {
	s, err := serveproc.Start(bin, filepath.Join(out, "server.url"), filepath.Join(out, "logs", "server.log"),
		"--users", strconv.Itoa(users), "--users-file", filepath.Join(out, "users.json"),
		"--users-mix", "none=0,google=100,sms=0,both=0", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	return &server{s}, nil
}

// pin sets the CPU affinity of every thread of the server (taskset -a).
func (s *server) pin(cpus string) error {
	out, err := exec.Command("taskset", "-a", "-cp", cpus, strconv.Itoa(s.PID())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
