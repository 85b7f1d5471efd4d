package testhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/testhooks"
)

func TestCodeSource(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 1, 1, 12, 0, 0, 500_000_000, time.UTC)
	old := testhooks.Message{To: "a@example.com", Channel: "email", Code: "111111", SentAt: "2026-01-01T11:59:00+00:00"}
	fresh := testhooks.Message{To: "a@example.com", Channel: "email", Code: "222222", SentAt: "2026-01-01T12:00:00+00:00"}
	sms := testhooks.Message{To: "a@example.com", Channel: "sms", Code: "333333", SentAt: "2026-01-01T12:00:05Z"}
	cases := []struct {
		name     string
		messages []testhooks.Message
		q        b2core.CodeQuery
		timeout  time.Duration
		want     string
		minPolls int32
		errIs    error
	}{
		{name: "ok/fresh_at_once", messages: []testhooks.Message{fresh}, q: b2core.CodeQuery{To: "a@example.com", Channel: "email", Since: since}, want: "222222"},
		{name: "ok/waits_past_an_old_message", messages: []testhooks.Message{old, old, fresh}, q: b2core.CodeQuery{To: "a@example.com", Channel: "email", Since: since}, want: "222222", minPolls: 3},
		{name: "ok/waits_past_none", messages: []testhooks.Message{{}, {}, fresh}, q: b2core.CodeQuery{To: "a@example.com", Since: since}, want: "222222", minPolls: 3},
		{name: "ok/waits_for_the_channel", messages: []testhooks.Message{fresh, sms}, q: b2core.CodeQuery{To: "a@example.com", Channel: "sms", Since: since}, want: "333333", minPolls: 2},
		{name: "ok/zero_since_takes_any", messages: []testhooks.Message{old}, q: b2core.CodeQuery{To: "a@example.com"}, want: "111111"},
		{name: "err/timeout", messages: []testhooks.Message{old}, q: b2core.CodeQuery{To: "a@example.com", Since: since}, timeout: 300 * time.Millisecond, errIs: b2core.ErrCodeTimeout},
		{name: "err/timeout_no_message", q: b2core.CodeQuery{To: "a@example.com", Since: since}, timeout: 300 * time.Millisecond, errIs: b2core.ErrCodeTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeHooks{messages: tc.messages}
			h, _ := newHooks(t, f, false)
			src := testhooks.CodeSource(h, tc.timeout)
			src.Interval = 20 * time.Millisecond
			start := time.Now()
			code, err := src.Code(t.Context(), tc.q)
			if tc.errIs != nil {
				assert.ErrorIs(t, err, tc.errIs)
				assert.Less(t, time.Since(start), tc.timeout+time.Second)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, code)
			assert.GreaterOrEqual(t, f.polls.Load(), max(tc.minPolls, 1))
		})
	}
	t.Run("err/unsupported_stops_at_once", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		src := testhooks.CodeSource(testhooks.New(srv.URL, b2core.NewHTTPTransport(srv.URL, time.Second)), 5*time.Second)
		start := time.Now()
		_, err := src.Code(t.Context(), b2core.CodeQuery{To: "x"})
		assert.ErrorIs(t, err, testhooks.ErrUnsupported)
		assert.Less(t, time.Since(start), time.Second)
	})
	t.Run("err/ctx_cancel", func(t *testing.T) {
		t.Parallel()
		h, _ := newHooks(t, &fakeHooks{}, false)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := testhooks.CodeSource(h, 0).Code(ctx, b2core.CodeQuery{To: "x"})
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("ok/default_timeout", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, time.Duration(0), testhooks.CodeSource(nil, 0).Timeout) // PollCode applies the 10 s default
	})
}
