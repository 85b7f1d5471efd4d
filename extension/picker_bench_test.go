package extension

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authflow/authflow/b2core"
)

// benchSet packs n users without 2FA (or, with totp, with a secret and
// Google 2FA).
func benchSet(b *testing.B, n int, totp bool) *userSet {
	b.Helper()
	sb := newSetBuilder("bench")
	var u rawUser
	for i := range n {
		u.reset()
		u.id = int64(i + 1)
		u.fields[fieldEmail] = append(strconv.AppendInt(append(u.fields[fieldEmail], "user"...), int64(i+1), 10), "@load.authflow.test"...)
		u.fields[fieldPassword] = append(u.fields[fieldPassword], "Lt1!aaaaaaaaaaaaaaaa"...)
		u.tf = tfGiven
		if totp {
			u.fields[fieldTOTPSecret] = append(u.fields[fieldTOTPSecret], "TQEOSHXLVO5TRFFMWKOETGDGNRAJ4HHS"...)
			u.tf |= tfGoogle
		}
		if err := sb.add(&u); err != nil {
			b.Fatal(err)
		}
	}
	return sb.finish()
}

var pickSizes = []int{1_000, 100_000, 1_000_000}

// BenchmarkPick is one next() and its release() on a healthy pool (users
// come back at once), and one fruitless next() on an exhausted pool (every
// user leased): each should cost the same whatever the pool's size.
func BenchmarkPick(b *testing.B) {
	for _, n := range pickSizes {
		set := benchSet(b, n, false)
		b.Run(fmt.Sprintf("healthy/users=%d", n), func(b *testing.B) {
			p := newPickerState("bench", set, pickerOptions{})
			ctx := context.Background()
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				e, id, _ := p.next(ctx, nil)
				if e == nil {
					b.Fatal("no user")
				}
				p.release(e.user.Email, id, b2core.OutcomeSuccess, 0)
			}
		})
	}
	// Exhausted: every TOTP user has sent its code of this 30-second step;
	// each op releases one (still unusable until the next step) and asks for
	// one, which no user can answer before the step ends: next() returns at
	// once, without waiting its maxWait.
	for _, n := range pickSizes {
		set := benchSet(b, n, true)
		b.Run(fmt.Sprintf("exhausted/users=%d", n), func(b *testing.B) {
			p := newPickerState("bench", set, pickerOptions{MaxWait: time.Millisecond})
			ctx := context.Background()
			leases := make([]*pickLease, 0, len(p.entries))
			for range p.entries {
				e, _ := p.tryPick(time.Now())
				if e == nil {
					b.Skip("a TOTP step ended while the pool was filled")
				}
				leases = append(leases, e)
			}
			for _, l := range leases { // each sent its TOTP code: this step is spent
				p.release(l.user.Email, l.leaseID, b2core.OutcomeSuccess, 0)
			}
			p.next(ctx, nil) // the one scan that finds the pool exhausted
			runtime.GC()
			hits := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				l := leases[i%len(leases)]
				p.release(l.user.Email, l.leaseID, b2core.OutcomeSuccess, 0)
				if e, _, _ := p.next(ctx, nil); e != nil {
					hits++ // a new TOTP step began
				}
			}
			b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
		})
	}
}

// BenchmarkPickParallel is next() and release() from 1,000 goroutines at
// once (as 1,000 VUs), over TOTP users (each usable once per 30-second
// step, as a real TOTP pool); it reports the time goroutines spent waiting
// for the picker's lock per pick.
func BenchmarkPickParallel(b *testing.B) {
	for _, n := range pickSizes {
		set := benchSet(b, n, true)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			p := newPickerState("bench", set, pickerOptions{MaxWait: time.Millisecond})
			ctx := context.Background()
			var misses sync.Map
			b.SetParallelism(max(1, 1000/max(1, parallelProcs())))
			runtime.GC()
			wait := mutexWait()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				miss := 0
				for pb.Next() {
					e, id, _ := p.next(ctx, nil)
					if e == nil {
						miss++
						continue
					}
					p.release(e.user.Email, id, b2core.OutcomeSuccess, 0)
				}
				misses.Store(&miss, miss)
			})
			b.StopTimer()
			b.ReportMetric(float64(mutexWait()-wait)/float64(b.N), "ns-lock-wait/op")
			total := 0
			misses.Range(func(_, v any) bool { total += v.(int); return true })
			b.ReportMetric(float64(total)/float64(b.N), "misses/op")
		})
	}
}

func parallelProcs() int { return runtime.GOMAXPROCS(0) }

// mutexWait is the process's total time goroutines have waited for a
// sync.Mutex, in ns.
func mutexWait() int64 {
	s := []metrics.Sample{{Name: "/sync/mutex/wait/total:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return int64(s[0].Value.Float64() * 1e9)
}

// BenchmarkNewPicker is building a picker's shared state over a user file
// (once per instance and picker name, on the first VU's first call).
func BenchmarkNewPicker(b *testing.B) {
	for _, n := range pickSizes {
		set := benchSet(b, n, true)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if p := newPickerState("bench", set, pickerOptions{TwoFactor: "google"}); len(p.entries) != n {
					b.Fatal(len(p.entries))
				}
			}
		})
	}
}
