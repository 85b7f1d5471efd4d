package b2core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
)

func TestFixedAndFuncCodes(t *testing.T) {
	t.Parallel()
	code, err := b2core.FixedCodes("123456").Code(t.Context(), b2core.CodeQuery{To: "x"})
	require.NoError(t, err)
	assert.Equal(t, "123456", code)

	var got b2core.CodeQuery
	src := b2core.FuncCodes(func(_ context.Context, q b2core.CodeQuery) (string, error) {
		got = q
		if q.Channel == "sms" {
			return "", errors.New("no sms")
		}
		return "654321", nil
	})
	code, err = src.Code(t.Context(), b2core.CodeQuery{To: "a@b", Channel: "email"})
	require.NoError(t, err)
	assert.Equal(t, "654321", code)
	assert.Equal(t, "a@b", got.To)
	_, err = src.Code(t.Context(), b2core.CodeQuery{Channel: "sms"})
	assert.EqualError(t, err, "no sms")
}

func TestURLCodes(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 5, 1, 12, 0, 0, 700_000_000, time.UTC)
	cases := []struct {
		name     string
		handler  func(n int32) (int, string) // n is the poll number, from 1
		field    string
		sentAt   string
		timeout  time.Duration
		want     string
		minPolls int32
		errIs    error
		errText  string
	}{
		{name: "ok/first_poll", field: "data.code", handler: func(int32) (int, string) { return 200, `{"data":{"code":"123456"}}` }, want: "123456"},
		{name: "ok/number_code", field: "code", handler: func(int32) (int, string) { return 200, `{"code":123456}` }, want: "123456"},
		{name: "ok/array_path", field: "messages.1.code", handler: func(int32) (int, string) {
			return 200, `{"messages":[{"code":"1"},{"code":"222222"}]}`
		}, want: "222222"},
		{name: "ok/polls_past_404_and_empty", field: "data.code", handler: func(n int32) (int, string) {
			switch n {
			case 1:
				return 404, `{"message":"none"}`
			case 2:
				return 200, `{"data":{"code":""}}`
			case 3:
				return 503, ``
			}
			return 200, `{"data":{"code":"777777"}}`
		}, want: "777777", minPolls: 4},
		{name: "ok/waits_for_a_fresh_message", field: "code", sentAt: "sentAt", handler: func(n int32) (int, string) {
			if n < 3 {
				return 200, `{"code":"111111","sentAt":"2026-05-01T11:59:59+00:00"}`
			}
			return 200, `{"code":"333333","sentAt":"2026-05-01T12:00:00+00:00"}` // same second as since
		}, want: "333333", minPolls: 3},
		{name: "err/timeout", field: "code", timeout: 400 * time.Millisecond, handler: func(int32) (int, string) { return 404, `` },
			errIs: b2core.ErrCodeTimeout},
		{name: "err/timeout_keeps_last_error", field: "code", timeout: 400 * time.Millisecond, handler: func(int32) (int, string) { return 500, `` },
			errIs: b2core.ErrCodeTimeout, errText: "server error"},
		{name: "err/403_stops_at_once", field: "code", handler: func(int32) (int, string) { return 403, `{"message":"forbidden"}` },
			errText: "rejected: forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var polls atomic.Int32
			var query atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				query.Store(r.URL.RawQuery)
				st, body := tc.handler(polls.Add(1))
				reply(st, body)(w, r)
			}))
			t.Cleanup(srv.Close)
			rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport("http://unused.invalid", time.Second)}
			src := b2core.URLCodes(rec, srv.URL+"/latest?to={to}&ch={channel}&since={since}", tc.field)
			src.SentAtField = tc.sentAt
			src.Timeout = tc.timeout
			src.Interval = 20 * time.Millisecond
			start := time.Now()
			code, err := src.Code(b2core.WithFlow(t.Context(), "signin"), b2core.CodeQuery{To: "+7 999&x", Channel: "sms", Since: since})
			if tc.errIs != nil || tc.errText != "" {
				require.Error(t, err)
				if tc.errIs != nil {
					assert.ErrorIs(t, err, tc.errIs)
					assert.Less(t, time.Since(start), tc.timeout+time.Second)
				}
				assert.Contains(t, err.Error(), tc.errText)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, code)
			assert.GreaterOrEqual(t, polls.Load(), max(tc.minPolls, 1))
			assert.Equal(t, "to=%2B7+999%26x&ch=sms&since=2026-05-01T12%3A00%3A00Z", query.Load())
			req := rec.Last()
			assert.Equal(t, "code_url", req.Step)
			assert.Equal(t, "signin", req.Flow)
			assert.Equal(t, "GET "+srv.URL+"/latest", req.Name)
		})
	}
	t.Run("err/ctx_cancel", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(reply(404, ``))
		t.Cleanup(srv.Close)
		src := b2core.URLCodes(b2core.NewHTTPTransport(srv.URL, time.Second), "/latest?to={to}", "code")
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(150*time.Millisecond, cancel)
		start := time.Now()
		_, err := src.Code(ctx, b2core.CodeQuery{To: "x"})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 2*time.Second)
	})
}

func TestPollCode(t *testing.T) {
	t.Parallel()
	t.Run("ok/defaults", func(t *testing.T) {
		t.Parallel()
		n := 0
		start := time.Now()
		code, err := b2core.PollCode(t.Context(), 0, 0, func(context.Context) (string, bool, error) {
			n++
			if n < 3 {
				return "", false, nil
			}
			return "x", false, nil
		})
		require.NoError(t, err)
		assert.Equal(t, "x", code)
		el := time.Since(start)
		assert.GreaterOrEqual(t, el, 2*100*time.Millisecond) // two pauses of 100-250 ms
		assert.Less(t, el, 2*time.Second)
	})
	t.Run("err/permanent", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("boom")
		_, err := b2core.PollCode(t.Context(), time.Second, 10*time.Millisecond, func(context.Context) (string, bool, error) { return "", false, boom })
		assert.ErrorIs(t, err, boom)
	})
	t.Run("err/deadline_of_parent", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := b2core.PollCode(ctx, 5*time.Second, 10*time.Millisecond, func(context.Context) (string, bool, error) { return "", false, nil })
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, b2core.ErrCodeTimeout)
	})
}
