package conformance

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Robust statistics for the timing check: medians, the median absolute
// deviation, and a bootstrap confidence interval of a difference of
// medians.

func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// residualMAD is the median absolute deviation of each sample from its
// own group's median: the spread within the groups, not between them.
func residualMAD(groups ...[]time.Duration) time.Duration {
	var dev []time.Duration
	for _, g := range groups {
		m := median(g)
		for _, x := range g {
			d := x - m
			if d < 0 {
				d = -d
			}
			dev = append(dev, d)
		}
	}
	return median(dev)
}

// bootstrapMedian is a percentile bootstrap confidence interval (level
// 1-2*tail) of the median of xs, from rounds resamples; the seed makes it
// reproducible.
func bootstrapMedian(xs []time.Duration, rounds int, tail float64) (lo, hi time.Duration) {
	if len(xs) == 0 || rounds <= 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(0x5eed, uint64(len(xs))))
	meds := make([]time.Duration, rounds)
	r := make([]time.Duration, len(xs))
	for i := range meds {
		for j := range r {
			r[j] = xs[rng.IntN(len(xs))]
		}
		meds[i] = median(r)
	}
	slices.Sort(meds)
	k := int(tail * float64(rounds))
	return meds[k], meds[rounds-1-k]
}

// signTestP is the one-sided p-value of k or more successes out of n
// fair coin flips.
func signTestP(k, n int) float64 {
	p := 0.0
	for i := k; i <= n; i++ {
		c := 1.0 // C(n, i) / 2^n, computed stably
		for j := 0; j < i; j++ {
			c *= float64(n-j) / float64(j+1)
		}
		p += c
	}
	for range n {
		p /= 2
	}
	return p
}
