package refserver

import (
	"time"

	"github.com/authflow/authflow/testhooks"
)

// timingGap is the enumeration-timing defect's extra cost of checking the
// password of an existing email: a production-grade password hash.
const timingGap = 250 * time.Millisecond

// windowQuirks are the time-window defects of the sign-in lockout and the
// refresh limit; the zero value is the correct behaviour.
type windowQuirks struct {
	sticky         bool // defect window-sticky: failures never fall out of the window
	shortBlock     bool // defect block-short: the block lasts half the configured one
	fullRetryAfter bool // defect retry-after-full-block: Retry-After is always the whole block
}

func (d defectFlags) windowQuirks() windowQuirks {
	return windowQuirks{sticky: d.windowSticky, shortBlock: d.blockShort, fullRetryAfter: d.retryAfterFullBlock}
}

// prune drops failures older than the window, unless window-sticky.
func (q windowQuirks) prune(e *lockEntry, now time.Time, lim testhooks.Limit) {
	if q.sticky { // defect window-sticky
		return
	}
	e.prune(now, lim)
}

// block is the block a limit starts (half of it with block-short).
func (q windowQuirks) block(lim testhooks.Limit) time.Duration {
	b := time.Duration(lim.BlockSeconds) * time.Second
	if q.shortBlock { // defect block-short
		b /= 2
	}
	return b
}

// retryAfter is the wait a blocked request is told: the time left, or the
// whole block with retry-after-full-block.
func (q windowQuirks) retryAfter(left time.Duration, lim testhooks.Limit) time.Duration {
	if q.fullRetryAfter { // defect retry-after-full-block
		return time.Duration(lim.BlockSeconds) * time.Second
	}
	return left
}
