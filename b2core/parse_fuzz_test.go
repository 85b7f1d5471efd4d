package b2core_test

import (
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// FuzzParseRetryAfter: a Retry-After value is never a negative wait; delay
// seconds read as their number (however many digits); an HTTP date reads as
// the time from now to it; and a wait it returns, written back in either
// form, reads the same.
//
//	go test -run='^$' -fuzz='^FuzzParseRetryAfter$' -fuzztime=100000x ./b2core/
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{
		"600", "0", " 5 ", "", "-5", "+5", "5.5", "1e3", "0x10", "soon", "５",
		"999999999999999999999999", "9223372036", "9223372037", "0000000000000000000005", "000000000000000000000000000",
		now.Add(90 * time.Second).Format(http.TimeFormat), now.Add(-time.Hour).Format(http.TimeFormat),
		now.Add(1500 * time.Millisecond).Format(http.TimeFormat),
		"Thursday, 01-Jan-26 00:01:30 GMT", "Thu Jan  1 00:01:30 2026", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Mon, 01 Jan 0001 00:00:00 GMT", "Thu, 01 Jan 2026 00:01:30 UTC",
	} {
		f.Add(v, int64(0))
		f.Add(v, int64(999_999_999))
	}
	f.Fuzz(func(t *testing.T, v string, nowOffset int64) {
		now := now.Add(time.Duration(nowOffset))
		d := b2core.ParseRetryAfter(v, now)
		require.GreaterOrEqual(t, d, time.Duration(0))

		s := strings.TrimSpace(v)
		switch date, dateErr := http.ParseTime(s); {
		case s != "" && strings.Trim(s, "0123456789") == "":
			n, _ := new(big.Int).SetString(s, 10)
			maxSeconds := big.NewInt(math.MaxInt64 / int64(time.Second))
			if n.Cmp(maxSeconds) > 0 {
				n = maxSeconds
			}
			require.Equal(t, time.Duration(n.Int64())*time.Second, d, "delay seconds %q", v)
		case dateErr == nil:
			exact := date.Sub(now)
			if exact <= 0 {
				require.Zero(t, d, "a date in the past")
			} else if exact < time.Duration(math.MaxInt64) {
				require.InDelta(t, float64(exact), float64(d), float64(time.Second/2), "date %q", v)
			}
		default:
			require.Zero(t, d, "neither seconds nor an HTTP date: %q", v)
		}

		if d > 0 && d%time.Second == 0 {
			secs := strconv.FormatInt(int64(d/time.Second), 10)
			require.Equal(t, d, b2core.ParseRetryAfter(secs, now), "%s written back as seconds", d)
			whole := now.Truncate(time.Second)
			if at := whole.Add(d); at.Year() <= 9999 && at.After(whole) {
				require.Equal(t, d, b2core.ParseRetryAfter(at.UTC().Format(http.TimeFormat), whole), "%s written back as a date", d)
			}
		}
	})
}

// FuzzParseTime: a timestamp ParseTime accepts reads the same written back
// in RFC 3339 and in every other spelling it documents (lower case, a space
// for "T", surrounding spaces); one it refuses is the zero time and an
// error that says what was wrong.
//
//	go test -run='^$' -fuzz='^FuzzParseTime$' -fuzztime=100000x ./b2core/
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2022-01-01T00:00:00+00:00", "2022-01-01T00:00:00Z", "2022-01-01T00:00:00.000000Z", "2022-01-01T02:00:00+02:00",
		"2022-01-01t00:00:00z", "2022-01-01 00:00:00+00:00", " 2022-01-01T00:00:00Z\n", "2022-01-01T00:00:00,5Z",
		"2022-01-01T00:00:00.123456789123Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59",
		"2022-02-30T00:00:00Z", "2022-01-01T24:00:00Z", "2022-01-01T00:00:60Z", "2022-01-01T00:00:00+24:00",
		"2022-01-01", "2022-01-01T00:00:00", "2022-01-01  00:00:00Z", "2022-01-01T00:00:00ZZ", "yesterday", "",
		"2022-01-01ſ00:00:00Z", "2022-01-01T00:00:00+0000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := b2core.ParseTime(s)
		if err != nil {
			require.True(t, tm.IsZero())
			require.NotEmpty(t, err.Error())
			return
		}
		canon := tm.Format(time.RFC3339Nano)
		for _, alt := range []string{canon, strings.ToLower(canon), canon[:10] + " " + canon[11:], " " + canon + "\n", strings.ToLower(s)} {
			got, err := b2core.ParseTime(alt)
			require.NoError(t, err, "%q reads as %q, but not %q", s, canon, alt)
			require.True(t, tm.Equal(got), "%q: %v, but %q: %v", s, tm, alt, got)
		}
	})
}
