package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/authflow/authflow/b2core"
)

// wantPassword checks that pw is the account's password: it signs in and
// the other does not.
func (t *T) wantPassword(a *account, pw, other, what string) {
	ok, x := t.signsIn(a.Email, pw)
	t.Expect(ok, x, "%s: the password that should be in force does not sign in", what)
	if other != "" && other != pw {
		bad, y := t.signsIn(a.Email, other)
		t.Expect(!bad, y, "%s: the password that should not be in force signs in", what)
	}
}

// newRecords returns the records of list not in before.
func newRecords(before, list []historyRecord) []historyRecord {
	var out []historyRecord
	for _, r := range list {
		if !slices.ContainsFunc(before, func(b historyRecord) bool { return b.id == r.id }) {
			out = append(out, r)
		}
	}
	return out
}

func recordIDs(rs []historyRecord) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.id
	}
	return out
}

func describeRecords(rs []historyRecord) string {
	s := "["
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("#%d %s", r.id, r.kind)
		if r.time != "" {
			s += " " + r.time
		}
	}
	return s + "]"
}

// spaced waits long enough that the next record gets a later second.
func (t *T) spaced() { t.sleep(1100 * time.Millisecond) }

func init() {
	changeSrc := src(doc000, "Change a client password") + "; " + src(docCT, "Undocumented calls (success token)")
	restoreSrc := src(doc000, "Restore a client password") + "; " + src(docCT, "Undocumented calls (success token)")
	register(
		&Check{
			ID: "PWD-001", Title: "A password change without a valid success token is rejected and changes nothing", Group: GroupPasswords, Level: MUST,
			Source: changeSrc,
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				pw1, pw2 := newPassword(), newPassword()
				t.wantRejected(t.changePassword(s.access, "", pw1), "POST password/change without successToken")
				t.wantRejected(t.changePassword(s.access, randUUID(), pw2), "POST password/change with an unknown successToken")
				t.wantPassword(a, a.Password, pw1, "after the rejected changes")
				bad, x := t.signsIn(a.Email, pw2)
				t.Expect(!bad, x, "the password of a change with an unknown success token signs in")
			},
		},
		&Check{
			ID: "PWD-002", Title: "A password restore without a valid success token is rejected and changes nothing", Group: GroupPasswords, Level: MUST,
			Source: restoreSrc,
			Run: func(t *T) {
				a := t.newAccount()
				pw1, pw2 := newPassword(), newPassword()
				t.wantRejected(t.restorePassword("", pw1), "POST password/restore without successToken")
				t.wantRejected(t.restorePassword(randUUID(), pw2), "POST password/restore with an unknown successToken")
				t.wantPassword(a, a.Password, pw1, "after the rejected restores")
			},
		},
		&Check{
			ID: "PWD-003", Title: "A change with a success token replaces the password: the new one signs in, the old one not", Group: GroupPasswords, Level: MUST,
			Source: changeSrc,
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				st := t.challenge(a, s)
				pw := newPassword()
				x := t.changePassword(s.access, st, pw)
				if !t.Expect(x.Is2xx(), x, "POST password/change with a fresh success token: want a 2xx") {
					return
				}
				old := a.Password
				a.Password = pw
				t.wantPassword(a, pw, old, "after the change")
			},
		},
		&Check{
			ID: "PWD-004", Title: "A restore with a success token replaces the password: the new one signs in, the old one not", Group: GroupPasswords, Level: MUST,
			Source: restoreSrc,
			Run: func(t *T) {
				a := t.newAccount()
				st := t.challenge(a, nil)
				pw := newPassword()
				x := t.restorePassword(st, pw)
				if !t.Expect(x.Is2xx(), x, "POST password/restore with a fresh success token: want a 2xx") {
					return
				}
				old := a.Password
				a.Password = pw
				t.wantPassword(a, pw, old, "after the restore")
			},
		},
		&Check{
			ID: "PWD-005", Title: "A success token is single-use", Group: GroupPasswords, Level: MUST,
			Source: src(docCT, "Undocumented calls (a success token is single-use)"), Refs: []string{"ASVS 5.0 6.5.1"},
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				st := t.challenge(a, s)
				pw1, pw2 := newPassword(), newPassword()
				if x := t.changePassword(s.access, st, pw1); !x.Is2xx() {
					t.Errorf("setup: the first change with the success token failed (%s); see PWD-003", x.StatusText())
				}
				t.wantRejected(t.changePassword(s.access, st, pw2), "POST password/change with the used success token")

				b := t.newAccount()
				st2 := t.challenge(b, nil)
				pw3, pw4 := newPassword(), newPassword()
				if x := t.restorePassword(st2, pw3); !x.Is2xx() {
					t.Errorf("setup: the first restore with the success token failed (%s); see PWD-004", x.StatusText())
				}
				t.wantRejected(t.restorePassword(st2, pw4), "POST password/restore with the used success token")
				a.Password, b.Password = pw1, pw3
				t.wantPassword(a, pw1, pw2, "after the change and the refused reuse")
				t.wantPassword(b, pw3, pw4, "after the restore and the refused reuse")
			},
		},
		&Check{
			ID: "PWD-006", Title: "A success token belongs to its client: another client cannot use it", Group: GroupPasswords, Level: MUST,
			Source: src(docCT, "Undocumented calls (a success token … is bound to its client)"),
			Run: func(t *T) {
				a, b := t.newAccount(), t.newAccount()
				sa, sb := t.login(a), t.login(b)
				st := t.challenge(a, sa)
				pw := newPassword()
				t.wantRejected(t.changePassword(sb.access, st, pw), "POST password/change by client B with client A's success token")
				t.wantPassword(b, b.Password, pw, "client B after the refused change")
				t.wantPassword(a, a.Password, pw, "client A after the refused change")
			},
		},
		&Check{
			ID: "PWD-007", Title: "The password history records `changed` and `restored` in order, sorted and paged", Group: GroupPasswords, Level: MUST,
			Source: src(doc000, "Get a password change history") + "; " + src(docCT, "Undocumented calls (password history types)"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				before, _ := t.listHistory("/password/changes", s, map[string]string{"limit": "100"})
				// changed (password/change), restored (password/restore), restored (Sign In page reset).
				pw1 := newPassword()
				if x := t.changePassword(s.access, t.challenge(a, s), pw1); !x.Is2xx() {
					t.Errorf("setup: password change failed (%s)", x.StatusText())
				}
				a.Password = pw1
				t.spaced()
				pw2 := newPassword()
				if x := t.restorePassword(t.challenge(a, nil), pw2); !x.Is2xx() {
					t.Errorf("setup: password restore failed (%s)", x.StatusText())
				}
				a.Password = pw2
				t.spaced()
				t.signInPageReset(a)
				s = t.login(a)
				want := []string{b2core.PasswordChanged, b2core.PasswordRestored, b2core.PasswordRestored}

				asc, x := t.listHistory("/password/changes", s, map[string]string{"limit": "100", "sort_by": "createTime", "sort_order": "asc"})
				got := newRecords(before, asc)
				kinds := make([]string, len(got))
				for i, r := range got {
					kinds[i] = r.kind
				}
				if !t.Expect(slices.Equal(kinds, want), x, "sort_order=asc: want the new records %v, got %s", want, describeRecords(got)) {
					return
				}
				desc, y := t.listHistory("/password/changes", s, map[string]string{"limit": "100", "sort_by": "createTime", "sort_order": "desc"})
				gotDesc := newRecords(before, desc)
				rev := slices.Clone(recordIDs(got))
				slices.Reverse(rev)
				t.Expect(slices.Equal(recordIDs(gotDesc), rev), y, "sort_order=desc: want %v, got %s", rev, describeRecords(gotDesc))
				t.Expect(timesSorted(asc, false), x, "sort_order=asc: createTime not ascending: %s", describeRecords(asc))
				t.Expect(timesSorted(desc, true), y, "sort_order=desc: createTime not descending: %s", describeRecords(desc))
				// Paging through the ascending list one record at a time.
				for i := range asc {
					page, z := t.listHistory("/password/changes", s, map[string]string{"limit": "1", "offset": strconv.Itoa(i), "sort_by": "createTime", "sort_order": "asc"})
					t.Expect(len(page) == 1 && page[0].id == asc[i].id, z, "limit=1&offset=%d: want record #%d, got %s", i, asc[i].id, describeRecords(page))
				}
				page, z := t.listHistory("/password/changes", s, map[string]string{"limit": "2", "offset": "0", "sort_by": "createTime", "sort_order": "asc"})
				t.Expect(len(page) == min(2, len(asc)), z, "limit=2: want %d records, got %d", min(2, len(asc)), len(page))
			},
		},
		&Check{
			ID: "PWD-008", Title: "A password history record is readable by its client only (another client gets 404)", Group: GroupPasswords, Level: MUST,
			Source: src(doc000, "Get password change details") + "; " + src(docCT, "Errors (another client's record gets 404)"),
			Run: func(t *T) {
				a, b := t.newAccount(), t.newAccount()
				s := t.login(a)
				pw := newPassword()
				if x := t.changePassword(s.access, t.challenge(a, s), pw); !x.Is2xx() {
					t.Errorf("setup: password change failed (%s)", x.StatusText())
				}
				a.Password = pw
				s = t.login(a) // a server may end the sessions of a changed password
				list, x := t.listHistory("/password/changes", s, nil)
				if !t.Expect(len(list) > 0, x, "no record after a password change") {
					return
				}
				r := list[0]
				y := t.api("password change record", http.MethodGet, api+"/password/changes/"+itoa(r.id), nil, withBearer(s.access))
				if t.Expect(y.Status() == http.StatusOK, y, "GET password/changes/{id} by its client: want 200") {
					id, _ := jint(y.J(), "id")
					t.Expect(id == r.id && jstr(y.J(), "type") == r.kind, y, "the record differs from the list's")
				}
				sb := t.login(b)
				z := t.api("password change record (other client)", http.MethodGet, api+"/password/changes/"+itoa(r.id), nil, withBearer(sb.access))
				t.Expect(z.Status() == http.StatusNotFound, z, "GET password/changes/{id} of another client: want 404")
			},
		},
		&Check{
			ID: "PWD-009", Title: "An expired success token is rejected", Group: GroupPasswords, Level: MUST,
			Source: src(docCT, "Undocumented calls (a success token … expires, default 5 minutes)"),
			Run: func(t *T) {
				a := t.newAccount()
				mark := t.markCodes(a.Email)
				x := t.api("2fa unauthorized challenge start", http.MethodGet, api+"/2fa/unauthorized/challenge?email="+urlq(a.Email), nil)
				conf := jstr(x.J(), "token")
				if !x.Is2xx() || conf == "" {
					t.Errorf("setup: GET 2fa/unauthorized/challenge failed (%s)", x.StatusText())
				}
				t.secret(conf)
				y := t.completeChallenge(conf, t.awaitCode(mark, ""), "")
				st := successTokenOf(y)
				if !y.Is2xx() || st == "" {
					t.Errorf("setup: POST 2fa/challenge failed (%s)", y.StatusText())
				}
				t.secret(st)
				exp, err := b2core.ParseTime(jstr(y.J(), "expiresAt"))
				wait := t.r.cfg.Lifetimes.SuccessToken.D() + 2*time.Second
				if err == nil {
					wait = exp.Sub(t.r.now()) + 2*time.Second
				}
				t.needExpiryWait(wait, "waiting for a success token to expire")
				t.sleep(wait)
				pw := newPassword()
				t.wantRejected(t.restorePassword(st, pw), "POST password/restore with an expired success token")
				t.wantPassword(a, a.Password, pw, "after the refused restore")
			},
		},
		&Check{
			ID: "PWD-010", Title: "The password history `total` counts every record, not the page", Group: GroupPasswords, Level: SHOULD,
			Source: src(doc000, "Get a password change history"),
			Run: func(t *T) {
				a := t.newAccount()
				var s *sess
				for range 2 {
					s = t.login(a) // a server may end the sessions of a changed password
					pw := newPassword()
					if x := t.changePassword(s.access, t.challenge(a, s), pw); !x.Is2xx() {
						t.Errorf("setup: password change failed (%s)", x.StatusText())
					}
					a.Password = pw
				}
				s = t.login(a)
				all, _ := t.listHistory("/password/changes", s, map[string]string{"limit": "100"})
				_, x := t.listHistory("/password/changes", s, map[string]string{"limit": "1"})
				total, ok := jint(x.J(), "total")
				t.Expect(ok && int(total) == len(all), x, "limit=1: want total %d, got %s", len(all), jraw(x.J(), "total"))
			},
		},
	)
}

// signInPageReset marks the account reset-required and resets its password
// from the Sign In page (setup).
func (t *T) signInPageReset(a *account) {
	t.markResetRequired(a)
	uuid := t.wizard()
	mark := t.markCodes(a.Email)
	x := t.signin(uuid, a.Email, a.Password)
	if workflow(x) != b2core.WorkflowResetPasswordEmail {
		t.Errorf("setup: a reset-required sign-in answered workflow %q (%s); see SIGNIN-005", workflow(x), x.StatusText())
	}
	code := t.awaitCode(mark, "")
	y := t.api("signin password restore", http.MethodPost, api+"/signin/password/restore", map[string]any{"uuid": uuid, "action": "code", "code": code})
	if !y.Is2xx() {
		t.Errorf("setup: POST signin/password/restore failed (%s)", y.StatusText())
	}
	pw := newPassword()
	t.secret(pw)
	z := t.api("signin password reset", http.MethodPost, api+"/signin/password/reset", map[string]any{"password": pw, "passwordConfirmation": pw, "uuid": uuid})
	if !z.Is2xx() {
		t.Errorf("setup: POST signin/password/reset failed (%s)", z.StatusText())
	}
	a.Password = pw
}

// timesSorted reports whether the records' times are in order (equal
// times allowed); unparsable times are ignored.
func timesSorted(rs []historyRecord, desc bool) bool {
	var prev time.Time
	for i, r := range rs {
		tm, err := b2core.ParseTime(r.time)
		if err != nil {
			continue
		}
		if i > 0 && !prev.IsZero() {
			if (!desc && tm.Before(prev)) || (desc && tm.After(prev)) {
				return false
			}
		}
		prev = tm
	}
	return true
}
