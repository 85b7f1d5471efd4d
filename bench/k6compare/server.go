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

// ---- the server ----

type server struct {
	cmd  *exec.Cmd
	base string
	pid  int
	done chan struct{}
}

func startServer(bin, out string, users int) (*server, error) {
	ready := filepath.Join(out, "server.url")
	_ = os.Remove(ready)
	logFile, err := os.Create(filepath.Join(out, "logs", "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ready-file", ready,
		"--users", strconv.Itoa(users), "--users-file", filepath.Join(out, "users.json"),
		"--users-mix", "none=0,google=100,sms=0,both=0", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.base = strings.TrimSpace(string(b))
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("authflow serve exited before it was ready (see %s)", filepath.Join(out, "logs", "server.log"))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("authflow serve was not ready within 2 minutes")
		}
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

// cpu is the server's user+system CPU time so far, from /proc/<pid>/stat.
func (s *server) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(ut+st) * time.Second / clockTicks
}

// waitIdle waits until the server's CPU use stays under 5% of a core for a
// second (its background password hashing is done).
func (s *server) waitIdle(limit time.Duration) string {
	start := time.Now()
	quiet := 0
	prev := s.cpu()
	for time.Since(start) < limit {
		time.Sleep(500 * time.Millisecond)
		cur := s.cpu()
		if cur-prev <= 25*time.Millisecond {
			quiet++
			if quiet >= 2 {
				return "after " + time.Since(start).Round(100*time.Millisecond).String()
			}
		} else {
			quiet = 0
		}
		prev = cur
	}
	return "NOT idle after " + limit.String()
}

// pin sets the CPU affinity of every thread of the server (taskset -a).
func (s *server) pin(cpus string) error {
	out, err := exec.Command("taskset", "-a", "-cp", cpus, strconv.Itoa(s.pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
