package extension

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authflow/authflow/refserver"
)

// jsonDecoders are the two readers of a JSON user file compared by
// BenchmarkLoadUsersFile: the hand-written tokenizer and jsontext's
// streaming decoder.
var jsonDecoders = []struct {
	name string
	dec  func(*bufio.Reader, func(int, *rawUser) error) error
}{
	{"handwritten", decodeUsersJSON},
	{"jsontext", func(r *bufio.Reader, add func(int, *rawUser) error) error { return decodeUsersJSONText(r, add) }},
}

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

// loadJSONWith is loadUsers of a whole JSON file with the decoder dec: the
// reading, the packing and the index.
func loadJSONWith(path string, dec func(*bufio.Reader, func(int, *rawUser) error) error) (*userSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read only
	b := newSetBuilder(path)
	if err := dec(bufio.NewReaderSize(f, 1<<16), func(_ int, u *rawUser) error { return b.add(u) }); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// BenchmarkLoadUsersFile is openUsers' reading of a user file as
// `authflow serve --users-file` writes it, in-process: the decoder and the
// packing, without k6 around them. JSON is read by each of jsonDecoders in
// turn (run with -count to interleave them), then CSV.
//
//	go test -run='^$' -bench='^BenchmarkLoadUsersFile$' -count=5 ./extension/
func BenchmarkLoadUsersFile(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	jsonPath, jsonSize := writeBenchUsers(b, dir, "users.json", n)
	for _, d := range jsonDecoders {
		b.Run(fmt.Sprintf("users.json/%s/users=%d", d.name, n), func(b *testing.B) {
			b.SetBytes(jsonSize)
			b.ReportAllocs()
			for range b.N {
				if set, err := loadJSONWith(jsonPath, d.dec); err != nil || set.Len() != n {
					b.Fatal(err)
				}
			}
		})
	}
	csvPath, csvSize := writeBenchUsers(b, dir, "users.csv", n)
	b.Run(fmt.Sprintf("users.csv/users=%d", n), func(b *testing.B) {
		b.SetBytes(csvSize)
		b.ReportAllocs()
		for range b.N {
			set, err := loadUsers(csvPath, execSegment{}, func() (io.ReadCloser, error) { return os.Open(csvPath) })
			if err != nil || set.Len() != n {
				b.Fatal(err)
			}
		}
	})
}

// childLoadEnv names the file and decoder TestLoadUsersChild loads.
const childLoadEnv = "AUTHFLOW_LOAD_USERS_CHILD"

// BenchmarkLoadUsersMillion loads 1,000,000 users (about 211 MB of JSON)
// with each JSON decoder, each in a process of its own (this test binary,
// running TestLoadUsersChild), alternating: the load's wall time, its CPU
// time (all threads, the garbage collector's included: steadier than wall
// time on a busy machine) and the process's peak RSS (VmHWM), Go runtime
// included.
//
//	go test -run='^$' -bench='^BenchmarkLoadUsersMillion$' -benchtime=1x -count=3 ./extension/
func BenchmarkLoadUsersMillion(b *testing.B) {
	const n = 1_000_000
	path, size := writeBenchUsers(b, b.TempDir(), "users.json", n)
	for _, d := range jsonDecoders {
		b.Run(fmt.Sprintf("users.json/%s/users=%d", d.name, n), func(b *testing.B) {
			b.SetBytes(size)
			var wall, cpu time.Duration
			var peakKB int64
			for range b.N {
				w, c, kb := runLoadChild(b, path, d.name, n)
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

// runLoadChild runs TestLoadUsersChild on path with decoder name: the
// load's wall and CPU time, as the child measured them, and its peak RSS.
func runLoadChild(b *testing.B, path, name string, n int) (wall, cpu time.Duration, peakKB int64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadUsersChild$", "-test.v") //nolint:gosec // this test binary
	cmd.Env = append(os.Environ(), childLoadEnv+"="+name+":"+path)
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
	spec := os.Getenv(childLoadEnv)
	if spec == "" {
		t.Skip("the child process of BenchmarkLoadUsersMillion")
	}
	name, path, _ := strings.Cut(spec, ":")
	for _, d := range jsonDecoders {
		if d.name != name {
			continue
		}
		runtime.GC()
		cpu0, start := processCPU(), time.Now()
		set, err := loadJSONWith(path, d.dec)
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
		return
	}
	t.Fatalf("no decoder %q", name)
}
