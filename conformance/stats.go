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

// bootstrapMedianDiff is a percentile bootstrap confidence interval (level
// 1-2*tail) of median(a) - median(b), from rounds resamples; the seed
// makes it reproducible.
func bootstrapMedianDiff(a, b []time.Duration, rounds int, tail float64) (lo, hi time.Duration) {
	if len(a) == 0 || len(b) == 0 || rounds <= 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(0x5eed, uint64(len(a)*1000+len(b))))
	resample := func(xs []time.Duration, into []time.Duration) []time.Duration {
		into = into[:0]
		for range xs {
			into = append(into, xs[rng.IntN(len(xs))])
		}
		return into
	}
	diffs := make([]time.Duration, rounds)
	var ra, rb []time.Duration
	for i := range diffs {
		ra, rb = resample(a, ra), resample(b, rb)
		diffs[i] = median(ra) - median(rb)
	}
	slices.Sort(diffs)
	k := int(tail * float64(rounds))
	return diffs[k], diffs[rounds-1-k]
}
