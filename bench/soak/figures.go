package main

import (
	"errors"
	"fmt"
	"time"
)

// figures are what a soak reports of one run.
type figures struct {
	flows             int64   // iterations between the first and the last reading used
	rssStart, rssEnd  int64   // KiB, at the first reading with a finished flow and at the last used
	rssWin            int64   // KiB, at the end of the first window
	growthAll         float64 // KiB of RSS per 1,000 flows, start to end
	growthWin         float64 // KiB per 1,000 flows, end of the first window to end
	growthSteady      float64 // KiB per 1,000 flows after the first window (least-squares slope)
	cpuFirst, cpuLast float64 // µs of k6 CPU per flow in the first and the last window
	srvStart, srvEnd  int64   // the server's RSS, KiB
	window            time.Duration
	firstIdx, lastIdx int
	firstWin, lastWin int // readings ending the first window and starting the last
	span              time.Duration
}

// cpuRatio is the last window's CPU per flow over the first's.
func (f figures) cpuRatio() float64 { return f.cpuLast / f.cpuFirst }

// compute derives the figures from a run's readings. The run starts at the
// first reading that counts a finished flow (k6's start-up, VU set-up and
// users parsing come before it and are not the soak's). It ends at the
// last reading whose successor still counted new flows, so that nothing of
// k6's end-of-test work (the summary) is in the last window.
func compute(ss []sample, window time.Duration) (figures, error) {
	f := figures{window: window, firstIdx: -1, lastIdx: -1}
	for i, s := range ss {
		if s.iters > 0 {
			f.firstIdx = i
			break
		}
	}
	if f.firstIdx < 0 {
		return f, errors.New("no reading counted a finished flow (did k6's REST API answer?)")
	}
	for i := len(ss) - 2; i > f.firstIdx; i-- {
		if ss[i+1].iters > ss[i].iters && ss[i].iters > ss[i-1].iters {
			f.lastIdx = i
			break
		}
	}
	if f.lastIdx < 0 {
		return f, errors.New("too few readings while flows ran")
	}
	a, b := ss[f.firstIdx], ss[f.lastIdx]
	f.span = b.at - a.at
	if f.span < 2*window {
		return f, fmt.Errorf("flows ran for %s between readings, which is less than two %s windows", f.span.Round(time.Second), window)
	}
	f.firstWin, f.lastWin = f.firstIdx, f.lastIdx
	for f.firstWin < f.lastIdx && ss[f.firstWin].at-a.at < window {
		f.firstWin++
	}
	for f.lastWin > f.firstIdx && b.at-ss[f.lastWin].at < window {
		f.lastWin--
	}
	f.flows = b.iters - a.iters
	f.rssStart, f.rssEnd = a.k6.rssKiB, b.k6.rssKiB
	f.srvStart, f.srvEnd = a.server.rssKiB, b.server.rssKiB
	f.growthAll = float64(b.k6.rssKiB-a.k6.rssKiB) / float64(f.flows) * 1000
	w := ss[f.firstWin]
	f.rssWin = w.k6.rssKiB
	if b.iters > w.iters {
		f.growthWin = float64(b.k6.rssKiB-w.k6.rssKiB) / float64(b.iters-w.iters) * 1000
	}
	f.growthSteady = slope(ss[f.firstWin:f.lastIdx+1]) * 1000
	f.cpuFirst = perFlowUS(ss[f.firstIdx], ss[f.firstWin])
	f.cpuLast = perFlowUS(ss[f.lastWin], ss[f.lastIdx])
	return f, nil
}

// perFlowUS is k6's CPU per flow between two readings, in µs.
func perFlowUS(a, b sample) float64 {
	if b.iters <= a.iters {
		return 0
	}
	return float64((b.k6.cpu - a.k6.cpu).Microseconds()) / float64(b.iters-a.iters)
}

// slope is the least-squares slope of RSS (KiB) over flows.
func slope(ss []sample) float64 {
	n := float64(len(ss))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, s := range ss {
		x, y := float64(s.iters), float64(s.k6.rssKiB)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
