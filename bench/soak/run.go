package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// runSpec is one k6 process of a soak: a variant (ext or js) in a mode
// (summary: k6's defaults, the scripts' thresholds and end-of-test summary;
// nosamples: --summary-mode=disabled --no-thresholds, so that k6 holds no
// metric sample at all).
type runSpec struct {
	variant, mode string
}

func (s runSpec) id() string { return s.mode + "-" + s.variant }

// sample is one reading of a run, at a time since k6 started.
type sample struct {
	at     time.Duration
	k6     procUsage
	server procUsage
	iters  int64 // iterations k6 completed so far (its progress line); -1 before the first
}

type runResult struct {
	spec    runSpec
	samples []sample
	checks  float64 // k6's checks rate at the last reading (summary mode); -1 unknown
	dropped int64
	// final is k6's last progress line: completed and interrupted
	// iterations.
	final, interrupted int64
	exit               int
	heap               [2]string // heap profiles at the end of the first window and near the end
	// heapAlloc is k6's live heap (HeapAlloc right after a forced
	// collection) and heapIters the iterations then, at each profile.
	heapAlloc, heapIters [2]int64
	log                  string
	err                  error
}

// runOne runs the variant's script under k6 against the server and samples
// the k6 process every cfg.interval until it exits.
func (h *harness) runOne(spec runSpec) *runResult {
	r := &runResult{spec: spec, log: filepath.Join(h.cfg.out, spec.id()+".log"), checks: -1, final: -1}
	port, err := freePort()
	if err != nil {
		r.err = err
		return r
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd, logFile, err := h.k6Command(spec, addr, r.log)
	if err != nil {
		r.err = err
		return r
	}
	defer logFile.Close()
	if err := cmd.Start(); err != nil {
		r.err = fmt.Errorf("starting k6: %w", err)
		return r
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	limit := time.AfterFunc(h.cfg.duration+5*time.Minute, func() { _ = cmd.Process.Kill() })
	defer limit.Stop()
	h.sampleUntil(r, cmd.Process.Pid, addr, done)
	<-done
	r.exit = cmd.ProcessState.ExitCode()
	if b, err := os.ReadFile(r.log); err == nil {
		r.final, r.interrupted, _ = lastProgress(b)
	}
	return r
}

func (h *harness) k6Command(spec runSpec, addr, logPath string) (*exec.Cmd, *os.File, error) {
	script := h.cfg.scenario
	if spec.variant == "js" {
		script = h.cfg.plain
	}
	// Not --quiet: k6's progress lines (every second on a file) count the
	// completed iterations from its execution state, in both modes.
	args := []string{"run", "--no-color", "--address", addr}
	if h.cfg.heap {
		args = append(args, "--profiling-enabled")
	}
	if spec.mode == modeNoSamples {
		args = append(args, "--summary-mode=disabled", "--no-thresholds")
	}
	summaries := filepath.Join(h.cfg.out, "summaries", spec.id())
	if err := os.MkdirAll(summaries, 0o755); err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(h.cfg.k6, append(args, script)...)
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true", "AUTHFLOW_BASE_URL="+h.server.Base,
		"AUTHFLOW_USERS="+h.server.users, "AUTHFLOW_RATE="+strconv.Itoa(h.cfg.rate),
		"AUTHFLOW_DURATION="+h.cfg.duration.String(), "AUTHFLOW_OUT="+summaries)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(logFile, "$ %s\n\n", strings.Join(cmd.Args, " "))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	return cmd, logFile, nil
}

// sampleUntil reads the k6 process, the server and k6's iteration count
// every interval until done is closed, and takes the heap profiles.
func (h *harness) sampleUntil(r *runResult, pid int, addr string, done <-chan struct{}) {
	logFile, err := os.Open(r.log)
	if err != nil {
		return
	}
	defer logFile.Close()
	api := &http.Client{Timeout: 2 * time.Second}
	start := time.Now()
	tick := time.NewTicker(h.cfg.interval)
	defer tick.Stop()
	var first time.Duration = -1
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		k6, err := readUsage(pid)
		if err != nil {
			return // k6 has exited
		}
		srv, _ := readUsage(h.server.PID())
		s := sample{at: time.Since(start), k6: k6, server: srv, iters: -1}
		if n, _, ok := tailProgress(logFile); ok {
			s.iters = n
		}
		if v, err := serveproc.K6Metric(api, addr, "checks", "rate"); err == nil {
			r.checks = v
		}
		if v, err := serveproc.K6Metric(api, addr, "dropped_iterations", "count"); err == nil {
			r.dropped = int64(v)
		}
		r.samples = append(r.samples, s)
		if first < 0 && s.iters > 0 {
			first = s.at
		}
		if h.cfg.heap && first >= 0 {
			h.maybeProfile(r, addr, s.at-first, s.iters)
		}
	}
}

// maybeProfile takes the first heap profile one interval before the end of
// the first window and the second one three intervals before the test's
// end, both inside the windows whose CPU per flow is compared (a profile
// forces a garbage collection).
func (h *harness) maybeProfile(r *runResult, addr string, since time.Duration, iters int64) {
	window := h.cfg.window()
	for i, at := range []time.Duration{window - h.cfg.interval, h.cfg.duration - 3*h.cfg.interval} {
		if r.heap[i] != "" || since < at || (i == 1 && r.heap[0] == "") {
			continue
		}
		path := filepath.Join(h.cfg.out, "profiles", fmt.Sprintf("%s-heap-%d.pb.gz", r.spec.id(), i+1))
		if err := fetchTo("http://"+addr+"/debug/pprof/heap?gc=1", path); err != nil {
			logf("%s: heap profile: %v", r.spec.id(), err)
			continue
		}
		r.heap[i] = path
		// gc=1 collects first, so HeapAlloc is the live heap.
		if n, err := heapAlloc("http://" + addr + "/debug/pprof/heap?debug=1&gc=1"); err == nil {
			r.heapAlloc[i], r.heapIters[i] = n, iters
		} else {
			logf("%s: live heap: %v", r.spec.id(), err)
		}
	}
}

// progressLine is k6's progress line on a file: "running (01m05.0s),
// 05/50 VUs, 6500 complete and 0 interrupted iterations".
var progressLine = regexp.MustCompile(`running \([^)]*\), \d+/\d+ VUs, (\d+) complete and (\d+) interrupted iterations`)

// lastProgress returns the counts of the last progress line in b.
func lastProgress(b []byte) (complete, interrupted int64, ok bool) {
	all := progressLine.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		return 0, 0, false
	}
	m := all[len(all)-1]
	c, err1 := strconv.ParseInt(string(m[1]), 10, 64)
	i, err2 := strconv.ParseInt(string(m[2]), 10, 64)
	return c, i, err1 == nil && err2 == nil
}

// tailProgress reads the last progress line of a growing log.
func tailProgress(f *os.File) (complete, interrupted int64, ok bool) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	const tail = 4096
	off := max(st.Size()-tail, 0)
	b := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(b, off)
	return lastProgress(b[:n])
}

func fetchTo(url, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heapAlloc reads "# HeapAlloc = N" of a text heap profile (debug=1).
func heapAlloc(url string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return parseHeapAlloc(b)
}

var heapAllocLine = regexp.MustCompile(`(?m)^# HeapAlloc = (\d+)$`)

func parseHeapAlloc(b []byte) (int64, error) {
	m := heapAllocLine.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("no HeapAlloc line in the heap profile")
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// freePort asks the kernel for a free loopback port for k6's REST API.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
