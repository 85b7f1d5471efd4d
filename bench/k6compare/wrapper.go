package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// ---- the rusage wrapper ----

// wrapperFlag makes this program a wrapper: `k6compare -rusage-wrapper FILE
// cmd args...` runs cmd and writes its rusage to FILE as JSON.
//
// Why: os/exec starts a child with vfork (CLONE_VM), and Linux carries the
// peak RSS of the memory the child shared until its exec into the child's
// own ru_maxrss. A child of the harness would report the harness's peak
// (over 100 MiB with the users list in memory) whenever its own is lower. The
// wrapper is a fresh small process, so its children's maxrss is their own
// peak whenever that exceeds the wrapper's (WrapperMaxRSSKiB, a few MiB).
const wrapperFlag = "-rusage-wrapper"

type wrapperResult struct {
	UserNs, SysNs    int64
	MaxRSSKiB        int64
	WrapperMaxRSSKiB int64
	ExitCode         int
	Error            string `json:",omitempty"`
}

func runWrapper(file string, argv []string) int {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "k6compare: -rusage-wrapper FILE cmd args...")
		return 2
	}
	runtime.LockOSThread() // Pdeathsig follows the thread that started the child
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	res := wrapperResult{ExitCode: -1}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.UserNs, res.SysNs, res.MaxRSSKiB = ru.Utime.Nano(), ru.Stime.Nano(), ru.Maxrss
		}
	}
	res.WrapperMaxRSSKiB = ownPeakRSS()
	if err != nil && cmd.ProcessState == nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	if werr := os.WriteFile(file, b, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "k6compare wrapper:", werr)
		return 2
	}
	if res.ExitCode < 0 {
		return 1
	}
	return res.ExitCode
}

// ownPeakRSS is VmHWM, the peak RSS of this process's own memory (what a
// vforked child inherits), in KiB; getrusage(RUSAGE_SELF) would count the
// harness's peak again.
func ownPeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	n, _ := serveproc.StatusKiB(b, "VmHWM")
	return n
}
