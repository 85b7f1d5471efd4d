package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is the one `authflow serve` process every run of a soak goes to.
type server struct {
	cmd   *exec.Cmd
	base  string
	users string // the users file it wrote
	done  chan struct{}
}

// startServer starts `authflow serve` on a free loopback port with users
// users without 2FA (soak.js signs in users of kind none), written to
// out/users.json, and waits until it is ready and its background password
// hashing is done.
func startServer(bin, out string, users int) (*server, error) {
	ready := filepath.Join(out, "server.url")
	_ = os.Remove(ready)
	logFile, err := os.Create(filepath.Join(out, "server.log"))
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s := &server{users: filepath.Join(out, "users.json"), done: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ready-file", ready,
		"--users", strconv.Itoa(users), "--users-file", s.users,
		"--users-mix", "none=100,google=0,sms=0,both=0", "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting authflow serve: %w", err)
	}
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.base = strings.TrimSpace(string(b))
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("authflow serve exited before it was ready (see %s)", logFile.Name())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("authflow serve was not ready within 2 minutes")
		}
	}
	s.waitIdle(time.Minute)
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// waitIdle waits until the server's CPU use stays under 5% of a core for a
// second: its background password hashing is done.
func (s *server) waitIdle(limit time.Duration) {
	start := time.Now()
	prev, _ := readUsage(s.pid())
	for quiet := 0; quiet < 2 && time.Since(start) < limit; {
		time.Sleep(500 * time.Millisecond)
		cur, err := readUsage(s.pid())
		if err != nil {
			return
		}
		if cur.cpu-prev.cpu <= 25*time.Millisecond {
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
}

func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
