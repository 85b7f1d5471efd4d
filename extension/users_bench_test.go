package extension

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/authflow/authflow/refserver"
)

// writeBenchUsers writes n users as `authflow serve --users-file` writes
// them to dir/name and returns the file's path and size.
func writeBenchUsers(tb testing.TB, dir, name string, n int) (string, int64) {
	tb.Helper()
	users, err := refserver.GenerateUsers(refserver.UsersConfig{Count: n})
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := refserver.WriteUsersFile(path, users); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, st.Size()
}

func loadUsersFile(path string) (*userSet, error) {
	return loadUsers(path, execSegment{}, func() (io.ReadCloser, error) { return os.Open(path) })
}

// BenchmarkLoadUsersFile is openUsers' reading of a user file as
// `authflow serve --users-file` writes it, JSON and CSV, in-process: the
// decoder and the packing, without k6 around them.
//
//	go test -run='^$' -bench='^BenchmarkLoadUsersFile$' -count=5 ./extension/
func BenchmarkLoadUsersFile(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	for _, name := range []string{"users.json", "users.csv"} {
		path, size := writeBenchUsers(b, dir, name, n)
		b.Run(fmt.Sprintf("%s/users=%d", name, n), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for range b.N {
				if set, err := loadUsersFile(path); err != nil || set.Len() != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// childLoadEnv names the file TestLoadUsersChild loads.
const childLoadEnv = "AUTHFLOW_LOAD_USERS_CHILD"

// BenchmarkLoadUsersMillion loads 1,000,000 users (about 211 MB of JSON),
// JSON and CSV, each in a process of its own (this test binary running
// TestLoadUsersChild): the load's wall time, its CPU time (all threads,
// the garbage collector's included: steadier than wall time on a busy
// machine) and the process's peak RSS (VmHWM), Go runtime included.
//
//	go test -run='^$' -bench='^BenchmarkLoadUsersMillion$' -benchtime=1x -count=3 ./extension/
func BenchmarkLoadUsersMillion(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	for _, name := range []string{"users.json", "users.csv"} {
		path, size := writeBenchUsers(b, dir, name, n)
		b.Run(fmt.Sprintf("%s/users=%d", name, n), func(b *testing.B) {
			b.SetBytes(size)
			var wall, cpu time.Duration
			var peakKB int64
			for range b.N {
				w, c, kb := runLoadChild(b, path, n)
				wall, cpu = wall+w, cpu+c
				peakKB = max(peakKB, kb)
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "load-s/op")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "load-cpu-s/op")
			b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
		})
	}
}

var childLine = regexp.MustCompile(`LOADED users=(\d+) ns=(\d+) cpu_ns=(\d+) hwm_kb=(\d+)`)

// runLoadChild runs TestLoadUsersChild on path: the load's wall and CPU
// time, as the child measured them, and its peak RSS.
func runLoadChild(b *testing.B, path string, n int) (wall, cpu time.Duration, peakKB int64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadUsersChild$", "-test.v") //nolint:gosec // this test binary
	cmd.Env = append(os.Environ(), childLoadEnv+"="+path)
	out, err := cmd.CombinedOutput()
	m := childLine.FindSubmatch(out)
	if err != nil || m == nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	if got, _ := strconv.Atoi(string(m[1])); got != n {
		b.Fatalf("child loaded %d users, want %d", got, n)
	}
	ns, _ := strconv.ParseInt(string(m[2]), 10, 64)
	cpuNS, _ := strconv.ParseInt(string(m[3]), 10, 64)
	kb, _ := strconv.ParseInt(string(m[4]), 10, 64)
	return time.Duration(ns), time.Duration(cpuNS), kb
}

// TestLoadUsersChild is BenchmarkLoadUsersMillion's child process; run
// alone it does nothing.
func TestLoadUsersChild(t *testing.T) {
	path := os.Getenv(childLoadEnv)
	if path == "" {
		t.Skip("the child process of BenchmarkLoadUsersMillion")
	}
	runtime.GC()
	cpu0, start := processCPU(), time.Now()
	set, err := loadUsersFile(path)
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	hwm := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if hwm == nil {
		t.Fatal("no VmHWM in /proc/self/status")
	}
	fmt.Printf("LOADED users=%d ns=%d cpu_ns=%d hwm_kb=%s\n", set.Len(), elapsed.Nanoseconds(), cpu.Nanoseconds(), hwm[1])
	runtime.KeepAlive(set)
}
