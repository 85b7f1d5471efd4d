package serveproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Server is one `authflow serve` process.
type Server struct {
	Cmd  *exec.Cmd
	Base string // its base URL
	done chan struct{}
}

// Start runs bin ("authflow") serve on a free loopback port with the
// further flags args, its output in logPath, and waits until it wrote its
// base URL to readyPath. The server dies with the calling process.
func Start(bin, readyPath, logPath string, args ...string) (*Server, error) {
	_ = os.Remove(readyPath)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s := &Server{done: make(chan struct{})}
	s.Cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", readyPath}, args...)...)
	s.Cmd.Stdout, s.Cmd.Stderr = logFile, logFile
	s.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.Cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting authflow serve: %w", err)
	}
	go func() { _ = s.Cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(readyPath); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.Base = strings.TrimSpace(string(b))
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("authflow serve exited before it was ready (see %s)", logPath)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("authflow serve was not ready within 2 minutes")
		}
	}
}

// PID is the server's process id.
func (s *Server) PID() int { return s.Cmd.Process.Pid }

// CPU is the server's user+system CPU time so far (0 if unreadable).
func (s *Server) CPU() time.Duration {
	cpu, _ := StatCPU(s.PID())
	return cpu
}

// WaitIdle waits until the server's CPU use stays under 5% of a core for a
// second (its background password hashing is done), or limit passes; it
// says which.
func (s *Server) WaitIdle(limit time.Duration) string {
	start := time.Now()
	quiet := 0
	prev := s.CPU()
	for time.Since(start) < limit {
		time.Sleep(500 * time.Millisecond)
		cur := s.CPU()
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

// Stop ends the server: SIGTERM, then SIGKILL after 10 s.
func (s *Server) Stop() {
	if s == nil || s.Cmd.Process == nil {
		return
	}
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.Cmd.Process.Kill()
		<-s.done
	}
}
