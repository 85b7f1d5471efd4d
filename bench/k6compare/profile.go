package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

// profileResult is the CPU profile of one k6 variant at -vus VUs, taken
// through k6's REST API (--address, --profiling-enabled), with the flows
// completed during the profile read from the same API.
type profileResult struct {
	variant string
	file    string
	seconds float64 // profile length
	flows   float64 // flows completed while profiling
	total   float64 // CPU seconds sampled
	cum     map[string]float64
	err     string
}

// profileParts names the functions whose cumulative CPU the report shows,
// in display order; indent shows what runs inside what.
var profileParts = []struct {
	label  string
	fn     string
	indent int
}{
	{"VU goroutine: the iteration (JS and the module calls it makes)", "go.k6.io/k6/v2/internal/js.(*VU).runFn", 0},
	{"k6's HTTP request (httpext.MakeRequest: send, trail, samples)", "go.k6.io/k6/v2/lib/netext/httpext.MakeRequest", 1},
	{"k6/http API: http.get/post (params parsing, Response object)", "go.k6.io/k6/v2/js/modules/k6/http.(*Client).Request", 1},
	{"res.json() (k6/http Response.JSON)", "go.k6.io/k6/v2/js/modules/k6/http.(*Response).JSON", 1},
	{"SharedArray element (JSON decode on every access)", "go.k6.io/k6/v2/internal/js/modules/k6/data.wrappedSharedArray.Get", 1},
	{"k6/crypto hmac", "go.k6.io/k6/v2/internal/js/modules/k6/crypto.(*Crypto).hmac", 1},
	{"client.signIn (extension.(*Client).SignIn)", "github.com/authflow/authflow/extension.(*Client).SignIn", 1},
	{"b2core sign-in flow (b2core.(*Client).SignInFlow)", "github.com/authflow/authflow/b2core.(*Client).SignInFlow", 2},
	{"extension transport (vuTransport.Do, MakeRequest included)", "github.com/authflow/authflow/extension.(*vuTransport).Do", 3},
	{"b2core answer decoding (the hand-written decoders' scanner)", "github.com/authflow/authflow/b2core.(*scanner).object", 3},
	{"TOTP code (b2core NextTOTPCode)", "github.com/authflow/authflow/b2core.(*Client).NextTOTPCode", 3},
	{"result object (extension resultObject)", "github.com/authflow/authflow/extension.(*Client).resultObject", 2},
	{"user object to Go (extension userArg)", "github.com/authflow/authflow/extension.userArg", 2},
	{"users[i] (extension usersArray.Get)", "github.com/authflow/authflow/extension.(*usersArray).Get", 1},
	{"flow metrics (extension finishFlow)", "github.com/authflow/authflow/extension.(*Client).finishFlow", 2},
	{"check() (k6 Check)", "go.k6.io/k6/v2/internal/js/modules/k6.(*K6).Check", 1},
	{"all encoding/json.Unmarshal (anywhere)", "encoding/json.Unmarshal", 0},
	{"net/http connection writer goroutines (persistConn.writeLoop)", "net/http.(*persistConn).writeLoop", 0},
	{"net/http connection reader goroutines (persistConn.readLoop)", "net/http.(*persistConn).readLoop", 0},
	{"GC background marking (runtime.gcBgMarkWorker)", "runtime.gcBgMarkWorker", 0},
	{"all allocation (runtime.mallocgc, anywhere)", "runtime.mallocgc", 0},
	{"metric outputs (output.(*PeriodicFlusher).run)", "go.k6.io/k6/v2/output.(*PeriodicFlusher).run", 0},
}

func (h *harness) profileRun(v string) *profileResult {
	pr := &profileResult{variant: v, seconds: h.cfg.profile.Seconds()}
	fail := func(format string, args ...any) *profileResult {
		pr.err = fmt.Sprintf(format, args...)
		logf("profile %s: %s", v, pr.err)
		return pr
	}
	warm := 3 * time.Second
	runFor := h.cfg.profile + 2*warm
	capFlows := int(float64(h.rateCap(v)) * runFor.Seconds() / h.cfg.duration.Seconds())
	capFlows = min(max(capFlows, 10*h.cfg.vus), h.pool.size()*2/3)
	pos := h.pool.take(capFlows)
	if err := h.writeUsers(pos, 0, capFlows, "profile", v, 0); err != nil {
		return fail("%v", err)
	}
	defer func() { h.pool.release(pos, capFlows) }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("%v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	script := map[string]string{"ext": "ext.js", "js": "plain.js"}[v]
	summary := filepath.Join(h.out, "summaries", "profile-"+v+".json")
	logPath := filepath.Join(h.out, "logs", "profile-"+v+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fail("%v", err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), runFor+3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.cfg.k6, "run", "--quiet", "--no-color", "--address", addr, "--profiling-enabled",
		"--summary-export", summary, filepath.Join(h.scriptDir, script))
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true", "BENCH_BASE_URL="+h.server.Base,
		"BENCH_USERS="+h.usersPath("profile", v, 0), "BENCH_MODE=shared", "BENCH_VUS="+strconv.Itoa(h.cfg.vus),
		"BENCH_ITERS="+strconv.Itoa(capFlows), "BENCH_MAX_DURATION="+runFor.String())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fail("%v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	api := "http://" + addr
	client := &http.Client{Timeout: h.cfg.profile + 30*time.Second}
	iterations := func() (float64, error) { return serveproc.K6Metric(client, addr, "iterations", "count") }
	// Wait for the API and the first iterations, then warm up.
	deadline := time.Now().Add(time.Minute)
	for {
		if n, err := iterations(); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return fail("k6's REST API did not answer with iterations within a minute (log %s)", logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(warm / 2)
	n0, err0 := iterations()
	resp, err := client.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", api, int(h.cfg.profile.Seconds())))
	n1, err1 := iterations()
	if err != nil || err0 != nil || err1 != nil {
		cancel()
		<-done
		return fail("profile: %v %v %v", err, err0, err1)
	}
	pr.file = filepath.Join(h.out, "profiles", v+".pprof")
	_ = os.MkdirAll(filepath.Dir(pr.file), 0o755)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := os.WriteFile(pr.file, body, 0o644); err != nil {
		return fail("%v", err)
	}
	pr.flows = n1 - n0
	if err := <-done; err != nil {
		return fail("k6: %v (log %s)", err, logPath)
	}
	r := &runResult{spec: runSpec{variant: v, phase: "profile"}}
	h.readSummary(r, summary)
	if !r.valid() {
		return fail("the profiled run was INVALID: %s", strings.Join(r.problems, "; "))
	}
	if err := pr.parse(h.cfg.k6); err != nil {
		return fail("go tool pprof: %v", err)
	}
	logf("profile %-3s %5.0f flows in %.0fs, %.2fs CPU sampled: %s", v, pr.flows, pr.seconds, pr.total, pr.file)
	return pr
}

// parse reads the cumulative CPU of every function from `go tool pprof -top
// -cum`.
func (pr *profileResult) parse(k6 string) error {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", k6, pr.file).Output()
	if err != nil {
		return err
	}
	pr.cum = map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Total samples = ") {
			_, after, _ := strings.Cut(line, "Total samples = ")
			pr.total = parseSeconds(strings.Fields(after)[0])
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") || !strings.HasSuffix(f[4], "%") {
			continue
		}
		name := strings.Join(f[5:], " ")
		if _, ok := pr.cum[name]; !ok {
			pr.cum[name] = parseSeconds(f[3])
		}
	}
	return sc.Err()
}

func parseSeconds(s string) float64 {
	for _, u := range []struct {
		suffix string
		mul    float64
	}{{"ms", 1e-3}, {"us", 1e-6}, {"µs", 1e-6}, {"ns", 1e-9}, {"min", 60}, {"s", 1}, {"h", 3600}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f * u.mul
		}
	}
	return 0
}

func (h *harness) profileReport(w func(string, ...any)) {
	if len(h.profiles) == 0 {
		return
	}
	w("### Where the k6 process's CPU goes (CPU profiles, µs per flow)\n\n")
	w("From k6's own pprof endpoint (`k6 run --address ... --profiling-enabled`, `/debug/pprof/profile?seconds=%.0f`) during a separate run at %d VUs, divided by the flows k6's REST API counted during the profile. Cumulative figures: an indented line is part of the line above it; lines do not add up. A profile only samples on-CPU time, so the total is a little below the rusage figure.\n\n",
		h.cfg.profile.Seconds(), h.cfg.vus)
	w("| part | ")
	for _, p := range h.profiles {
		w("%s | ", variantNames[p.variant])
	}
	w("\n|---|")
	for range h.profiles {
		w("---:|")
	}
	w("\n| whole k6 process (all samples) | ")
	for _, p := range h.profiles {
		if p.err != "" || p.flows <= 0 {
			w("%s | ", strings.ReplaceAll(p.err, "|", "/"))
			continue
		}
		w("%.0f | ", p.total/p.flows*1e6)
	}
	w("\n")
	for _, part := range profileParts {
		seen := false
		for _, p := range h.profiles {
			if p.cum[part.fn] > 0 {
				seen = true
			}
		}
		if !seen {
			continue
		}
		w("| %s%s | ", strings.Repeat("&nbsp;&nbsp;&nbsp;", part.indent), part.label)
		for _, p := range h.profiles {
			if p.err != "" || p.flows <= 0 || p.cum[part.fn] == 0 {
				w("– | ")
				continue
			}
			w("%.0f | ", p.cum[part.fn]/p.flows*1e6)
		}
		w("\n")
	}
	if len(h.profiles) == 2 && h.profiles[0].flows > 0 && h.profiles[1].flows > 0 && h.profiles[1].total > 0 {
		a, b := h.profiles[0], h.profiles[1]
		w("\nWhole process, %s / %s: %.2f×.\n", a.variant, b.variant, (a.total/a.flows)/(b.total/b.flows))
	}
	w("\nProfiles: ")
	for i, p := range h.profiles {
		if i > 0 {
			w(", ")
		}
		w("`go tool pprof -top %s %s`", shellQuote([]string{h.cfg.k6})[0], p.file)
	}
	w(".\n\n")
}
