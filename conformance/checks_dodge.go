package conformance

import (
	"strings"
	"unicode"
)

// Limits that can be dodged: a lockout keyed by the email as typed, while
// the account is found whatever its spelling; a refresh limit counted per
// session while CONTRACT.md says per client.

func init() {
	register(
		&Check{ID: "LOCK-013", Title: "Failures under another spelling of an email the server accepts count toward its lockout", Group: GroupLockout, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (lockout policy, per account identifier (the email))"),
			Refs:   []string{refRate, refNIST}, Phase: PhaseLockout, Run: lockoutSpellings},
		&Check{ID: "TOKEN-014", Title: "The refresh limit is per client: another session of the client shares it", Group: GroupTokens, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (token refresh is rate limited per client)"),
			Refs:   []string{refRate}, Phase: PhaseLockout, Run: refreshLimitPerClient},
	)
}

// spelling is another way of writing an email.
type spelling struct {
	name string
	fn   func(string) string
}

var spellings = []spelling{
	{"upper case", strings.ToUpper},
	{"mixed case", func(e string) string {
		r := []rune(e)
		for i := range r {
			if i%2 == 0 {
				r[i] = unicode.ToUpper(r[i])
			}
		}
		return string(r)
	}},
	{"surrounding spaces", func(e string) string { return " " + e + " " }},
}

// lockoutSpellings finds the spellings the server signs in with (on a
// fresh account of its own), then fails `attempts` times under them for
// another account: the account itself must be blocked.
func lockoutSpellings(t *T) {
	l := t.signinLimit()
	probe := t.newAccount()
	var taken []spelling
	var names []string
	for _, sp := range spellings {
		if ok, _ := t.signsIn(sp.fn(probe.Email), probe.Password); ok {
			taken = append(taken, sp)
			names = append(names, sp.name)
		}
	}
	if len(taken) == 0 {
		t.Skip("precondition not met: the server signs in with no other spelling of an email (upper case, mixed case, spaces): they are other identifiers")
	}
	t.Note("the server signs in with an email in %s", strings.Join(names, ", "))
	a := t.newAccount()
	for i := 1; i <= l.Attempts; i++ {
		x := t.signinFresh(taken[i%len(taken)].fn(a.Email), "Wrong-"+randHex(6))
		if !t.Expect(x.Is4xx() && x.Status() != t.r.cfg.LockoutStatus, x, "failed attempt %d of %d: want a plain 4xx", i, l.Attempts) {
			return
		}
	}
	x := t.signinFresh(a.Email, a.Password)
	t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "after %d failures under other spellings (%s) of the email the server signs in with, the right password is not refused with %d: the lockout can be dodged",
		l.Attempts, strings.Join(names, ", "), t.r.cfg.LockoutStatus)
}

// refreshLimitPerClient refreshes `attempts` times in one session; the
// next refresh, from another session of the same client, is limited.
func refreshLimitPerClient(t *T) {
	l := t.refreshLimit()
	a := t.newAccount()
	s1, s2 := t.login(a), t.login(a)
	if _, _, ok := t.refreshes(s1, l.Attempts); !ok {
		return
	}
	x := t.refresh(s2.refresh)
	t.Expect(x.Status() == t.r.cfg.LockoutStatus, x, "after %d refreshes in one session, a refresh from another session of the client is not limited with %d: the limit can be dodged by signing in again",
		l.Attempts, t.r.cfg.LockoutStatus)
}
