package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ---- the harness's files: scripts, the goflow binary, users files ----

func (h *harness) writeScripts() error {
	h.scriptDir = filepath.Join(h.out, "scripts")
	entries, err := scripts.ReadDir("scripts")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := scripts.ReadFile("scripts/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(h.scriptDir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) buildGoflow() error {
	if h.cfg.goflow != "" {
		p, err := filepath.Abs(h.cfg.goflow)
		h.goflow = p
		return err
	}
	h.goflow = filepath.Join(h.out, "goflow")
	logf("building bench/goflow")
	cmd := exec.Command("go", "build", "-o", h.goflow, "github.com/authflow/authflow/bench/goflow")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build bench/goflow: %w", err)
	}
	return nil
}

func (h *harness) usersPath(ph, v string, rep int) string {
	return filepath.Join(h.out, "users", fmt.Sprintf("%s-%s-r%d.json", ph, v, rep+1))
}

// writeUsers writes users pos+from .. pos+to-1 of the pool (a ring) as the
// users file of one run.
func (h *harness) writeUsers(pos, from, to int, ph, v string, rep int) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		b.Write(h.pool.users[(pos+i)%len(h.pool.users)])
	}
	b.WriteString("]\n")
	return os.WriteFile(h.usersPath(ph, v, rep), b.Bytes(), 0o600)
}
