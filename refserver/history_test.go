package refserver

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
)

// historyFixture signs a client in and gives it 12 records of each history
// (the 2FA ones alternate provider and state), 10 s apart from t0, plus
// records of another client interleaved. Records are added through the
// store, as the enable/disable and password flows do (those flows have
// their own tests); everything read here goes over HTTP.
type historyFixture struct {
	h        *harness
	bearer   []string
	t0       time.Time
	tfaIDs   []int64 // of the client, oldest first
	pwIDs    []int64
	otherTFA int64
	otherPW  int64
}

func newHistoryFixture(t *testing.T) *historyFixture {
	h := newHarness(t)
	c := h.client()
	tok := h.login(c, "")
	o := h.client()
	f := &historyFixture{h: h, bearer: bearerHdr(tok.AccessToken.Token), t0: h.clk.Now().Truncate(time.Second)}
	acct := h.srv.accounts.byEmailAddr(c.Email)
	oacct := h.srv.accounts.byEmailAddr(o.Email)
	for i := 0; i < 12; i++ {
		at := f.t0.Add(time.Duration(i) * 10 * time.Second)
		if i == 11 {
			at = f.t0.Add(100 * time.Second) // same time as record 10: ids break the tie
		}
		provider := []string{"google", "sms"}[i%2]
		acct.mu.Lock()
		h.srv.history.addTFALocked(acct, provider, i%4 < 2, at)
		f.tfaIDs = append(f.tfaIDs, acct.tfaChanges[len(acct.tfaChanges)-1].id)
		acct.mu.Unlock()
		h.srv.history.addPassword(acct, []string{"changed", "restored"}[i%3/2], at)
		f.pwIDs = append(f.pwIDs, acct.pwChanges[len(acct.pwChanges)-1].id)
		if i == 5 {
			oacct.mu.Lock()
			h.srv.history.addTFALocked(oacct, "sms", true, at)
			f.otherTFA = oacct.tfaChanges[0].id
			oacct.mu.Unlock()
			h.srv.history.addPassword(oacct, "changed", at)
			f.otherPW = oacct.pwChanges[0].id
		}
	}
	return f
}

func TestTFAChangesQueries(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	ids := f.tfaIDs
	rev := func(xs ...int64) []int64 {
		out := make([]int64, len(xs))
		for i, x := range xs {
			out[len(xs)-1-i] = x
		}
		return out
	}
	ts := func(sec int) string { return f.t0.Add(time.Duration(sec) * time.Second).Format(b2core.TimeLayout) }
	// Records: i even → google, odd → sms; enabled for i%4 in {0,1}.
	cases := []struct {
		name    string
		query   string
		total   int
		wantIDs []int64
	}{
		{"ok/default-desc-limit-10", "", 12, rev(ids[2:]...)},
		{"ok/asc", "sort_by=time&sort_order=asc", 12, ids[:10]},
		{"ok/desc-explicit", "sort_by=time&sort_order=DESC&limit=3", 12, []int64{ids[11], ids[10], ids[9]}},
		{"ok/paging", "limit=5&offset=10", 12, []int64{ids[1], ids[0]}},
		{"ok/paging-asc", "sort_order=asc&limit=4&offset=4", 12, ids[4:8]},
		{"ok/offset-past-end", "offset=12", 12, []int64{}},
		{"ok/limit-max", "limit=100", 12, rev(ids...)},
		{"ok/enabled", "filter[isEnabled]=true&sort_order=asc", 6, []int64{ids[0], ids[1], ids[4], ids[5], ids[8], ids[9]}},
		{"ok/disabled", "filter[isEnabled]=false&sort_order=asc", 6, []int64{ids[2], ids[3], ids[6], ids[7], ids[10], ids[11]}},
		{"ok/isEnabled-empty-is-no-filter", "filter[isEnabled]=", 12, rev(ids[2:]...)},
		{"ok/provider-sms", "filter[provider]=sms&sort_order=asc", 6, []int64{ids[1], ids[3], ids[5], ids[7], ids[9], ids[11]}},
		{"ok/provider-google-enabled", "filter[provider]=google&filter[isEnabled]=true", 3, []int64{ids[8], ids[4], ids[0]}},
		{"ok/time-range-inclusive", "filter[timeFrom]=" + url.QueryEscape(ts(20)) + "&filter[timeTo]=" + url.QueryEscape(ts(50)) + "&sort_order=asc", 4, ids[2:6]},
		{"ok/time-from", "filter[timeFrom]=" + url.QueryEscape(ts(100)), 2, []int64{ids[11], ids[10]}},
		{"ok/time-to-unescaped-plus", "filter[timeTo]=" + ts(0) + "", 1, []int64{ids[0]}},
		{"ok/time-other-offset", "filter[timeTo]=" + url.QueryEscape(f.t0.In(time.FixedZone("X", 3600)).Format(time.RFC3339)), 1, []int64{ids[0]}},
		{"ok/all-filters-paged", "filter[provider]=sms&filter[isEnabled]=false&filter[timeFrom]=" + url.QueryEscape(ts(30)) + "&limit=1&offset=1", 3, []int64{ids[7]}},
		{"ok/no-match", "filter[timeFrom]=" + url.QueryEscape(ts(1000)), 0, []int64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.h.do("GET", "/api/v2/my/2fa/changes?"+tc.query, nil, f.bearer...)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var list b2core.List[b2core.TFAChange]
			r.decode(t, &list)
			require.Equal(t, tc.total, list.Total)
			got := []int64{}
			for _, c := range list.Data {
				got = append(got, c.ID)
				require.NotNil(t, c.Time)
				require.Regexp(t, `\+00:00$`, *c.Time)
			}
			require.Equal(t, tc.wantIDs, got)
			require.NotContains(t, got, f.otherTFA)
		})
	}
	bad := []string{"limit=0", "limit=101", "limit=x", "offset=-1", "offset=y", "sort_by=createTime", "sort_order=up",
		"filter[isEnabled]=maybe", "filter[provider]=email", "filter[timeFrom]=yesterday", "filter[timeTo]=2022-13-01T00:00:00Z"}
	f.requireErrors(t, "err/", "/api/v2/my/2fa/changes?", bad, http.StatusBadRequest)
	t.Run("ok/one-record", func(t *testing.T) {
		t.Parallel()
		r := f.h.do("GET", fmt.Sprintf("/api/v2/my/2fa/changes/%d", ids[1]), nil, f.bearer...)
		require.Equal(t, http.StatusOK, r.status)
		require.JSONEq(t, fmt.Sprintf(`{"id":%d,"provider":"sms","isEnabled":true,"time":"%s"}`, ids[1], ts(10)), string(r.body))
	})
	f.requireErrors(t, "err/one-record-", "/api/v2/my/2fa/changes/", []string{itoa(f.otherTFA), "999999", "0", "-1", "abc"}, http.StatusNotFound)
	t.Run("err/no-bearer", func(t *testing.T) {
		t.Parallel()
		f.h.do("GET", "/api/v2/my/2fa/changes", nil).requireError(t, http.StatusUnauthorized)
		f.h.do("GET", fmt.Sprintf("/api/v2/my/2fa/changes/%d", ids[0]), nil).requireError(t, http.StatusUnauthorized)
	})
}

// requireErrors runs one parallel subtest per arg, named name+arg: GET
// path+arg with the fixture's bearer is answered status, in the API's error
// shape.
func (f *historyFixture) requireErrors(t *testing.T, name, path string, args []string, status int) {
	t.Helper()
	for _, a := range args {
		t.Run(name+a, func(t *testing.T) {
			t.Parallel()
			f.h.do("GET", path+a, nil, f.bearer...).requireError(t, status)
		})
	}
}

func TestPasswordChangesQueries(t *testing.T) {
	t.Parallel()
	f := newHistoryFixture(t)
	ids := f.pwIDs
	cases := []struct {
		name    string
		query   string
		wantIDs []int64
	}{
		{"ok/default-desc-limit-10", "", []int64{ids[11], ids[10], ids[9], ids[8], ids[7], ids[6], ids[5], ids[4], ids[3], ids[2]}},
		{"ok/asc", "sort_by=createTime&sort_order=asc&limit=3", ids[:3]},
		{"ok/paging", "sort_by=createTime&sort_order=desc&limit=4&offset=8", []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"ok/offset-past-end", "offset=50", []int64{}},
		{"ok/filters-ignored", "filter[provider]=sms&limit=1", []int64{ids[11]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.h.do("GET", "/api/v2/my/password/changes?"+tc.query, nil, f.bearer...)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var list b2core.List[b2core.PasswordChange]
			r.decode(t, &list)
			require.Equal(t, 12, list.Total)
			got := []int64{}
			for _, c := range list.Data {
				got = append(got, c.ID)
				require.Contains(t, []string{"changed", "restored"}, c.Type)
			}
			require.Equal(t, tc.wantIDs, got)
		})
	}
	f.requireErrors(t, "err/", "/api/v2/my/password/changes?",
		[]string{"limit=0", "limit=1000", "offset=-5", "sort_by=time", "sort_order=sideways"}, http.StatusBadRequest)
	t.Run("ok/one-record", func(t *testing.T) {
		t.Parallel()
		r := f.h.do("GET", fmt.Sprintf("/api/v2/my/password/changes/%d", ids[2]), nil, f.bearer...)
		require.Equal(t, http.StatusOK, r.status)
		require.JSONEq(t, fmt.Sprintf(`{"id":%d,"type":"restored","createTime":"%s"}`, ids[2], f.t0.Add(20*time.Second).Format(b2core.TimeLayout)), string(r.body))
	})
	f.requireErrors(t, "err/one-record-", "/api/v2/my/password/changes/", []string{itoa(f.otherPW), "424242", "x"}, http.StatusNotFound)
}
