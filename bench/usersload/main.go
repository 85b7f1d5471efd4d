// Command usersload measures what loading a user file costs a k6 test, in
// one run, side by side: the extension's openUsers() (JSON and CSV) and
// plain k6 JavaScript (a SharedArray filled by JSON.parse(open(file))),
// each from the start of the k6 process to its first iteration with a user
// in hand (the extension's with its UserPicker built), and the process's
// peak RSS (VmHWM, polled from /proc). Files of each -sizes users are
// written as `authflow serve --users N --users-file F` writes them (and
// kept in -out for the next run).
//
//	go run ./bench/usersload --k6 bin/k6 --sizes 10000,100000,1000000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/authflow/authflow/refserver"

	"github.com/authflow/authflow/bench/internal/serveproc"
)

const extScript = `import { openUsers, UserPicker } from 'k6/x/authflow';
const users = openUsers(__ENV.BENCH_USERS);
export const options = { vus: Number(__ENV.BENCH_VUS), iterations: Number(__ENV.BENCH_VUS) };
let picker;
export default function () {
  picker = picker || new UserPicker(users, { name: 'bench', twoFactor: 'google' });
  const u = picker.next();
  if (!u || !u.email) throw new Error('no user');
  if (__VU === 1) console.log('FIRST ' + Date.now() + ' users=' + users.length);
}
export function handleSummary() { return {}; }
`

// plainScript is how a k6 user shares a user file among VUs without the
// extension (k6's documented idiom).
const plainScript = `import { SharedArray } from 'k6/data';
const users = new SharedArray('users', function () { return JSON.parse(open(__ENV.BENCH_USERS)); });
export const options = { vus: Number(__ENV.BENCH_VUS), iterations: Number(__ENV.BENCH_VUS) };
export default function () {
  const u = users[Math.floor(Math.random() * users.length)];
  if (!u || !u.email) throw new Error('no user');
  if (__VU === 1) console.log('FIRST ' + Date.now() + ' users=' + users.length);
}
export function handleSummary() { return {}; }
`

type variant struct {
	name, script, ext string
}

var variants = []variant{
	{"openUsers (JSON)", "ext.js", ".json"},
	{"openUsers (CSV)", "ext.js", ".csv"},
	{"plain k6 JS (SharedArray + JSON.parse)", "plain.js", ".json"},
}

type result struct {
	ready time.Duration // process start to first iteration
	peak  int64         // KiB
	users int
	err   error
}

func main() {
	k6 := flag.String("k6", "bin/k6", "k6 binary with the extension")
	sizes := flag.String("sizes", "10000,100000,1000000", "user counts")
	out := flag.String("out", "out/bench/usersload", "directory for files, scripts and bench.md")
	vus := flag.Int("vus", 1, "VUs")
	reps := flag.Int("reps", 1, "repetitions of each measurement (median reported)")
	plainMax := flag.Int("plain-max", 1000000, "largest size plain k6 JS is run at")
	flag.Parse()
	if err := run(*k6, *sizes, *out, *vus, *reps, *plainMax); err != nil {
		fmt.Fprintln(os.Stderr, "usersload:", err)
		os.Exit(1)
	}
}

func run(k6, sizeList, out string, vus, reps, plainMax int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, s := range map[string]string{"ext.js": extScript, "plain.js": plainScript} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(s), 0o644); err != nil {
			return err
		}
	}
	var md bytes.Buffer
	fmt.Fprintf(&md, "## Opening a user file (bench/usersload, %d VU(s), median of %d)\n\n", vus, reps)
	md.WriteString("Start of the k6 process to its first iteration with a user in hand, and the process's peak RSS.\n\n")
	md.WriteString("| users | file | openUsers JSON | openUsers CSV | plain k6 JS | JSON vs plain: time, RSS |\n")
	md.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, f := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", f)
		}
		base, size, err := userFiles(out, n)
		if err != nil {
			return err
		}
		var res [3]result
		for i, v := range variants {
			if v.script == "plain.js" && n > plainMax {
				res[i].err = fmt.Errorf("not run (over -plain-max)")
				continue
			}
			res[i] = median(reps, func() result { return runK6(k6, filepath.Join(out, v.script), base+v.ext, vus, n) })
			fmt.Printf("%8d users  %-40s %s\n", n, v.name, show(res[i]))
		}
		fmt.Fprintf(&md, "| %d | %.0f MB | %s | %s | %s | %s |\n", n, float64(size)/1e6,
			show(res[0]), show(res[1]), show(res[2]), ratio(res[0], res[2]))
	}
	fmt.Println()
	fmt.Print(md.String())
	return os.WriteFile(filepath.Join(out, "usersload.md"), md.Bytes(), 0o644)
}

// userFiles writes users-N.json and users-N.csv unless they are there.
func userFiles(dir string, n int) (base string, jsonSize int64, err error) {
	base = filepath.Join(dir, fmt.Sprintf("users-%d", n))
	st, errJ := os.Stat(base + ".json")
	_, errC := os.Stat(base + ".csv")
	if errJ == nil && errC == nil {
		return base, st.Size(), nil
	}
	users, err := refserver.GenerateUsers(refserver.UsersConfig{Count: n})
	if err != nil {
		return "", 0, err
	}
	for _, ext := range []string{".json", ".csv"} {
		if err := refserver.WriteUsersFile(base+ext, users); err != nil {
			return "", 0, err
		}
	}
	st, err = os.Stat(base + ".json")
	if err != nil {
		return "", 0, err
	}
	return base, st.Size(), nil
}

var firstRe = regexp.MustCompile(`FIRST (\d+) users=(\d+)`)

// runK6 runs one script over one file and measures it.
func runK6(k6, script, file string, vus, want int) result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6, "run", "--quiet", "--no-usage-report", "--no-color", script)
	cmd.Env = append(os.Environ(), "BENCH_USERS="+file, "BENCH_VUS="+strconv.Itoa(vus))
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{err: err}
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go pollPeak(cmd.Process.Pid, done, peak)
	err := cmd.Wait()
	close(done)
	r := result{peak: <-peak}
	if err != nil {
		r.err = fmt.Errorf("%w: %s", err, lastLine(outBuf.String()))
		return r
	}
	m := firstRe.FindStringSubmatch(outBuf.String())
	if m == nil {
		r.err = fmt.Errorf("no first iteration: %s", lastLine(outBuf.String()))
		return r
	}
	ms, _ := strconv.ParseInt(m[1], 10, 64)
	r.ready = time.UnixMilli(ms).Sub(start)
	r.users, _ = strconv.Atoi(m[2])
	if r.users != want {
		r.err = fmt.Errorf("%d users loaded, want %d", r.users, want)
	}
	return r
}

// pollPeak reads the process's VmHWM every 10 ms until done (wait4's
// maxrss would include this program's memory, shared until exec).
func pollPeak(pid int, done <-chan struct{}, peak chan<- int64) {
	var most int64
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	for {
		if b, err := os.ReadFile(path); err == nil {
			if kib, err := serveproc.StatusKiB(b, "VmHWM"); err == nil {
				most = max(most, kib)
			}
		}
		select {
		case <-done:
			peak <- most
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func median(reps int, f func() result) result {
	rs := make([]result, 0, reps)
	for range reps {
		r := f()
		if r.err != nil {
			return r
		}
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ready < rs[j].ready })
	m := rs[len(rs)/2]
	peaks := make([]int64, len(rs))
	for i, r := range rs {
		peaks[i] = r.peak
	}
	sort.Slice(peaks, func(i, j int) bool { return peaks[i] < peaks[j] })
	m.peak = peaks[len(peaks)/2]
	return m
}

func show(r result) string {
	if r.err != nil {
		return "— (" + r.err.Error() + ")"
	}
	return fmt.Sprintf("%.2f s, %d MiB", r.ready.Seconds(), r.peak>>10)
}

func ratio(a, b result) string {
	if a.err != nil || b.err != nil || b.ready <= 0 || b.peak <= 0 {
		return "—"
	}
	return fmt.Sprintf("**%.2f×**, **%.2f×**", a.ready.Seconds()/b.ready.Seconds(), float64(a.peak)/float64(b.peak))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
