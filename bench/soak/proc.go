package main

import (
	"fmt"
	"os"
	"time"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// procUsage is what the harness reads of a process: its resident memory and
// the CPU time it has used so far.
type procUsage struct {
	rssKiB int64
	cpu    time.Duration
}

// readUsage reads VmRSS from /proc/<pid>/status and utime+stime from
// /proc/<pid>/stat.
func readUsage(pid int) (procUsage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procUsage{}, err
	}
	rss, err := serveproc.StatusKiB(status, "VmRSS")
	if err != nil {
		return procUsage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	cpu, err := serveproc.StatCPU(pid)
	if err != nil {
		return procUsage{}, err
	}
	return procUsage{rssKiB: rss, cpu: cpu}, nil
}
