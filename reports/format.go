package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// fmtMs formats milliseconds: "0.42 ms", "12.3 ms", "1,234 ms", "12.3 s".
func fmtMs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.Abs(v) >= 10000:
		return trimZeros(fmt.Sprintf("%.1f", v/1000)) + " s"
	case math.Abs(v) >= 100:
		return thousands(fmt.Sprintf("%.0f", v)) + " ms"
	case math.Abs(v) >= 1:
		return trimZeros(fmt.Sprintf("%.1f", v)) + " ms"
	default:
		return trimZeros(fmt.Sprintf("%.2f", v)) + " ms"
	}
}

// fmtPct formats a fraction as a percentage.
func fmtPct(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v == 0:
		return "0%"
	case math.Abs(v) < 0.001:
		return trimZeros(fmt.Sprintf("%.3f", v*100)) + "%"
	case math.Abs(v) < 0.1:
		return trimZeros(fmt.Sprintf("%.2f", v*100)) + "%"
	default:
		return trimZeros(fmt.Sprintf("%.1f", v*100)) + "%"
	}
}

// fmtNum formats a count or a rate.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return thousands(strconv.FormatFloat(v, 'f', 0, 64))
	case math.Abs(v) >= 100:
		return thousands(fmt.Sprintf("%.0f", v))
	default:
		return trimZeros(fmt.Sprintf("%.2f", v))
	}
}

// fmtRate formats a per-second rate.
func fmtRate(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if math.Abs(v) >= 100 {
		return thousands(fmt.Sprintf("%.0f", v)) + "/s"
	}
	return trimZeros(fmt.Sprintf("%.2f", v)) + "/s"
}

func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	if d < time.Minute {
		return trimZeros(fmt.Sprintf("%.1f", d.Seconds())) + " s"
	}
	return d.Round(time.Second).String()
}

// fmtClock formats an offset as m:ss.
func fmtClock(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// fmtDelta formats a change: "+12.3 ms (+15%)", "+0.4 pp".
func fmtDelta(d Delta) string {
	var abs string
	if d.Unit == "%" {
		abs = signed(trimZeros(fmt.Sprintf("%.2f", d.Diff*100)), d.Diff) + " pp"
	} else {
		abs = signed(fmtMs(math.Abs(d.Diff)), d.Diff)
	}
	if math.IsNaN(d.Rel) {
		return abs
	}
	return abs + " (" + signed(trimZeros(fmt.Sprintf("%.1f", math.Abs(d.Rel)*100)), d.Rel) + "%)"
}

// fmtP formats a p-value: "0.003", "<0.001", "–" when no test was made.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.001:
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

func signed(s string, v float64) string {
	s = strings.TrimPrefix(s, "-")
	switch {
	case v > 0:
		return "+" + s
	case v < 0:
		return "−" + s
	}
	return "±" + s
}

func fmtStat(v float64, unit string) string {
	if unit == "%" {
		return fmtPct(v)
	}
	return fmtMs(v)
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
