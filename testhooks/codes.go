package testhooks

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/authflow/authflow/b2core"
)

// HookCodes is a b2core.CodeSource reading the codes the server sent from
// the hooks (GET /messages/latest?to=). It polls until a message sent at or
// after the query's Since (to the second: servers write whole seconds) on
// the query's channel (if given) appears.
type HookCodes struct {
	Hooks *HooksClient
	// Timeout bounds the polling (default 10 s); Interval is the pause
	// between polls (default 200 ms).
	Timeout  time.Duration
	Interval time.Duration
}

var _ b2core.CodeSource = (*HookCodes)(nil)

// CodeSource returns a HookCodes polling c for at most timeout (0 means
// the default 10 s).
func CodeSource(c *HooksClient, timeout time.Duration) *HookCodes {
	return &HookCodes{Hooks: c, Timeout: timeout}
}

// Code implements b2core.CodeSource. An unsupported hook stops at once
// with an error wrapping ErrUnsupported; a timeout wraps
// b2core.ErrCodeTimeout.
func (s *HookCodes) Code(ctx context.Context, q b2core.CodeQuery) (string, error) {
	since := q.Since.Truncate(time.Second)
	return b2core.PollCode(ctx, s.Timeout, s.Interval, func(ctx context.Context) (string, bool, error) {
		m, err := s.Hooks.LatestMessage(ctx, q.To)
		switch {
		case errors.Is(err, ErrNoMessage):
			return "", false, nil
		case errors.Is(err, ErrUnsupported):
			return "", false, err
		case err != nil:
			return "", b2core.Transient(err), err
		}
		if q.Channel != "" && m.Channel != "" && !strings.EqualFold(m.Channel, q.Channel) {
			return "", false, nil
		}
		if !q.Since.IsZero() {
			t, err := b2core.ParseTime(m.SentAt)
			if err != nil {
				return "", true, errors.New("testhooks: message with an unparseable sentAt")
			}
			if t.Before(since) {
				return "", false, nil
			}
		}
		return m.Code, false, nil
	})
}
