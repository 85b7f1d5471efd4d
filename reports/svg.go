package reports

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Charts are inline SVG computed here and written by html/template (so all
// text is escaped): no script is needed to see them, and nothing is
// fetched. Colours come from CSS classes of the page.

// Chart is one SVG chart.
type Chart struct {
	ID      string
	Kind    string // "bars", "stacked" or "lines"
	Title   string
	Caption string
	W, H    float64
	Elems   []El
	Marks   int // data marks drawn (bars, segments, lines)
}

// El is one SVG element.
type El struct {
	Tag                string // rect, line, text, path, circle
	X, Y, W, H, X2, Y2 float64
	D                  string
	Class              string
	Text               string
	Anchor             string
	Tip                string
	Rotate             bool // text turned 90° anticlockwise about (X, Y)
}

const (
	chartW   = 960.0
	fontW    = 6.6 // average glyph width at 12px
	legendH  = 26.0
	axisH    = 34.0
	barH     = 11.0
	barGap   = 2.0
	rowGap   = 12.0
	stackH   = 22.0
	lineH    = 250.0
	maxLabel = 300.0
)

func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * fontW }

// clip cuts s with an ellipsis to fit width; the full text stays in the
// element's tooltip and the tables.
func clip(s string, width float64) string {
	n := int(width/fontW + 1e-6)
	if utf8.RuneCountInString(s) <= n || n < 2 {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// niceScale returns a step and a top for an axis from 0 to max.
func niceScale(maxV float64, ticks int) (step, top float64) {
	if !(maxV > 0) || math.IsInf(maxV, 0) {
		maxV = 1
	}
	raw := maxV / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	top = math.Ceil(maxV/step-1e-9) * step
	return step, top
}

func (c *Chart) add(e El) { c.Elems = append(c.Elems, e) }

func (c *Chart) text(x, y float64, anchor, class, s string) {
	c.add(El{Tag: "text", X: x, Y: y, Anchor: anchor, Class: class, Text: s})
}

// legend draws swatches and names from x along the top.
func (c *Chart) legend(x float64, names, classes []string) {
	for i, n := range names {
		c.add(El{Tag: "rect", X: x, Y: 8, W: 12, H: 12, Class: "swatch " + classes[i]})
		c.text(x+17, 18, "start", "legend", n)
		x += 17 + textWidth(n) + 22
	}
}

// BarRow is one category of a grouped horizontal bar chart.
type BarRow struct {
	Label  string
	Values []float64 // per series; NaN draws nothing
	Tips   []string
	Bad    []bool // highlight (regression)
}

// barChart draws grouped horizontal bars, one row per category and one bar
// per series, with a value axis at the bottom.
func barChart(id, title, caption string, series, classes []string, rows []BarRow, format func(float64) string, axisLabel string) *Chart {
	c := &Chart{ID: id, Kind: "bars", Title: title, Caption: caption, W: chartW}
	labelW := 80.0
	maxV := 0.0
	for _, r := range rows {
		labelW = math.Max(labelW, textWidth(r.Label)+14)
		for _, v := range r.Values {
			if !math.IsNaN(v) {
				maxV = math.Max(maxV, v)
			}
		}
	}
	labelW = math.Min(labelW, maxLabel)
	left, right := labelW, chartW-70
	step, top := niceScale(maxV, 6)
	rowH := float64(len(series))*(barH+barGap) - barGap + rowGap
	y0 := legendH + 6
	plotH := float64(len(rows)) * rowH
	c.H = y0 + plotH + axisH
	x := func(v float64) float64 { return left + (right-left)*v/top }
	for t := 0.0; t <= top+step/2; t += step {
		c.add(El{Tag: "line", X: x(t), Y: y0 - 4, X2: x(t), Y2: y0 + plotH, Class: "grid"})
		c.text(x(t), y0+plotH+16, "middle", "tick", format(t))
	}
	c.add(El{Tag: "line", X: left, Y: y0 + plotH, X2: right, Y2: y0 + plotH, Class: "axis"})
	c.text((left+right)/2, y0+plotH+31, "middle", "axis-title", axisLabel)
	c.legend(left, series, classes)
	for i, r := range rows {
		ry := y0 + float64(i)*rowH + rowGap/2
		c.text(left-8, ry+(rowH-rowGap)/2+4, "end", "label", clip(r.Label, labelW-14))
		for j, v := range r.Values {
			if math.IsNaN(v) {
				continue
			}
			by := ry + float64(j)*(barH+barGap)
			class := "bar " + classes[j]
			if j < len(r.Bad) && r.Bad[j] {
				class += " bad"
			}
			tip := series[j] + ": " + format(v)
			if j < len(r.Tips) && r.Tips[j] != "" {
				tip = r.Tips[j]
			}
			w := math.Max(x(v)-left, 1)
			c.add(El{Tag: "rect", X: left, Y: by, W: w, H: barH, Class: class, Tip: r.Label + " — " + tip})
			c.Marks++
			c.text(left+w+4, by+barH-2, "start", "value", format(v))
		}
	}
	return c
}

// StackRow is one bar of a stacked bar chart.
type StackRow struct {
	Label    string
	Segments []Segment
	Note     string // drawn right of the bar
}

// Segment is one part of a stacked bar.
type Segment struct {
	Name  string
	Value float64
	Class string
}

// stackedChart draws horizontal stacked bars; percent scales every bar to
// 100%, otherwise bars share one count axis.
func stackedChart(id, title, caption string, legendNames, legendClasses []string, rows []StackRow, percent bool) *Chart {
	c := &Chart{ID: id, Kind: "stacked", Title: title, Caption: caption, W: chartW}
	labelW := 80.0
	maxV := 0.0
	for _, r := range rows {
		labelW = math.Max(labelW, textWidth(r.Label)+14)
		sum := 0.0
		for _, s := range r.Segments {
			sum += s.Value
		}
		maxV = math.Max(maxV, sum)
	}
	labelW = math.Min(labelW, maxLabel)
	left, right := labelW, chartW-90
	top, step := 1.0, 0.25
	if !percent {
		step, top = niceScale(maxV, 6)
		if step < 1 { // counts
			step, top = 1, math.Max(math.Ceil(maxV), 1)
		}
	}
	y0 := legendH + 8
	rowH := stackH + rowGap
	plotH := float64(len(rows)) * rowH
	c.H = y0 + plotH + axisH - 6
	x := func(v float64) float64 { return left + (right-left)*v/top }
	for t := 0.0; t <= top+step/2; t += step {
		c.add(El{Tag: "line", X: x(t), Y: y0 - 4, X2: x(t), Y2: y0 + plotH, Class: "grid"})
		lbl := fmtNum(t)
		if percent {
			lbl = fmt.Sprintf("%.0f%%", t*100)
		}
		c.text(x(t), y0+plotH+16, "middle", "tick", lbl)
	}
	c.legend(left, legendNames, legendClasses)
	for i, r := range rows {
		ry := y0 + float64(i)*rowH + rowGap/2
		c.text(left-8, ry+stackH/2+4, "end", "label", clip(r.Label, labelW-14))
		sum := 0.0
		for _, s := range r.Segments {
			sum += s.Value
		}
		at := 0.0
		for _, s := range r.Segments {
			if s.Value <= 0 {
				continue
			}
			v := s.Value
			if percent {
				v = s.Value / sum
			}
			x0, x1 := x(at), x(at+v)
			share := s.Value / sum
			c.add(El{Tag: "rect", X: x0, Y: ry, W: math.Max(x1-x0, 1), H: stackH, Class: "seg " + s.Class,
				Tip: fmt.Sprintf("%s — %s: %s (%s)", r.Label, s.Name, fmtNum(s.Value), fmtPct(share))})
			c.Marks++
			if x1-x0 > 38 {
				lbl := fmtPct(share)
				if !percent {
					lbl = fmtNum(s.Value)
				}
				if textWidth(lbl)+6 < x1-x0 {
					c.text((x0+x1)/2, ry+stackH/2+4, "middle", "seg-label", lbl)
				}
			}
			at += v
		}
		note := r.Note
		if note == "" {
			note = "n=" + fmtNum(sum)
		}
		c.text(x(at)+6, ry+stackH/2+4, "start", "value", note)
	}
	return c
}

// LineSeries is one line of a line chart.
type LineSeries struct {
	Name   string
	Class  string
	Values []float64 // one per x; NaN leaves a gap
}

// lineChart draws lines over time; xs are seconds from the start.
func lineChart(id, title, caption string, xs []float64, series []LineSeries, format func(float64) string, axisLabel string) *Chart {
	c := &Chart{ID: id, Kind: "lines", Title: title, Caption: caption, W: chartW, H: lineH}
	maxV := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				maxV = math.Max(maxV, v)
			}
		}
	}
	// Widest y tick label decides the left margin.
	ystep, ytop := niceScale(maxV, 5)
	left := 40.0
	for t := 0.0; t <= ytop+ystep/2; t += ystep {
		left = math.Max(left, textWidth(format(t))+16)
	}
	left += 14 // room for the rotated axis title
	right, top, bottom := chartW-20, legendH+10, lineH-axisH
	xmax := 1.0
	if len(xs) > 0 {
		xmax = math.Max(xs[len(xs)-1], 1)
	}
	xstep := niceTimeStep(xmax)
	x := func(t float64) float64 { return left + (right-left)*t/xmax }
	y := func(v float64) float64 { return bottom - (bottom-top)*v/ytop }
	for t := 0.0; t <= ytop+ystep/2; t += ystep {
		c.add(El{Tag: "line", X: left, Y: y(t), X2: right, Y2: y(t), Class: "grid"})
		c.text(left-6, y(t)+4, "end", "tick", format(t))
	}
	for t := 0.0; t <= xmax+1e-9; t += xstep {
		c.add(El{Tag: "line", X: x(t), Y: bottom, X2: x(t), Y2: bottom + 4, Class: "axis"})
		c.text(x(t), bottom+16, "middle", "tick", fmtClock(secondsDur(t)))
	}
	c.add(El{Tag: "line", X: left, Y: bottom, X2: right, Y2: bottom, Class: "axis"})
	c.add(El{Tag: "line", X: left, Y: top, X2: left, Y2: bottom, Class: "axis"})
	c.text((left+right)/2, bottom+31, "middle", "axis-title", "time since start (m:ss)")
	c.add(El{Tag: "text", X: 12, Y: (top + bottom) / 2, Anchor: "middle", Class: "axis-title", Text: axisLabel, Rotate: true})
	names, classes := make([]string, len(series)), make([]string, len(series))
	for i, s := range series {
		names[i], classes[i] = s.Name, s.Class
	}
	c.legend(left, names, classes)
	for _, s := range series {
		var d strings.Builder
		pen := false
		drawn := 0
		for i, v := range s.Values {
			if i >= len(xs) {
				break
			}
			if math.IsNaN(v) {
				pen = false
				continue
			}
			if pen {
				d.WriteString(" L")
			} else {
				if d.Len() > 0 {
					d.WriteByte(' ')
				}
				d.WriteString("M")
			}
			fmt.Fprintf(&d, "%s %s", f1(x(xs[i])), f1(y(v)))
			pen = true
			drawn++
			if len(xs) <= 40 {
				c.add(El{Tag: "circle", X: x(xs[i]), Y: y(v), W: 2.5, Class: "dot " + s.Class,
					Tip: fmt.Sprintf("%s at %s: %s", s.Name, fmtClock(secondsDur(xs[i])), format(v))})
			}
		}
		if drawn > 0 {
			c.add(El{Tag: "path", D: d.String(), Class: "line " + s.Class, Tip: s.Name})
			c.Marks++
		}
	}
	return c
}

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func niceTimeStep(maxS float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400} {
		if maxS/s <= 10 {
			return s
		}
	}
	return 86400
}

// f1 formats a coordinate with one decimal.
func f1(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return trimZeros(fmt.Sprintf("%.1f", v))
}
