package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authflow/authflow/b2core"
)

// Races: what one request at a time never sees. Each check sends a
// synchronized burst (burst.go) at a limit or a single-use secret, and does
// so raceRounds times, each round on a fresh account: a server that checks
// and then acts without holding a lock across lets several requests through.

const (
	raceRounds = 3
	refTOCTOU  = "ASVS 5.0 15.4.2"
	refCWE367  = "CWE-367"
	raceBurst  = 4 // requests of a burst at a single-use secret
)

func init() {
	refs := func(more ...string) []string { return append([]string{refTOCTOU, refCWE367}, more...) }
	register(
		&Check{ID: "RACE-001", Title: "Concurrent wrong passwords get at most `attempts` checked answers", Group: GroupRace, Level: MUST,
			Source: src(docCT, "Sign-in and lockout (`attempts` failed sign-in attempts within `window` block the identifier)"),
			Refs:   refs(refRate, refNIST), Run: raceLockout},
		&Check{ID: "RACE-002", Title: "One refresh token used concurrently refreshes once", Group: GroupRace, Level: MUST,
			Source: src(docCT, "A refresh rotates both tokens: the refresh token used is dead afterwards"),
			Refs:   refs(), Run: raceRefresh},
		&Check{ID: "RACE-003", Title: "One success token used concurrently changes the password once", Group: GroupRace, Level: MUST,
			Source: src(docCT, "Undocumented calls (a success token is single-use)"),
			Refs:   refs("ASVS 5.0 6.5.1"), Run: raceSuccessToken},
		&Check{ID: "RACE-004", Title: "One emailed challenge code used concurrently yields one success token", Group: GroupRace, Level: MUST,
			Source: src(docCT, "Undocumented calls (SMS and email codes … a code is single-use)"),
			Refs:   refs("ASVS 5.0 6.5.1"), Run: raceChallengeCode},
		&Check{ID: "RACE-005", Title: "One TOTP code submitted concurrently signs in once", Group: GroupRace, Level: MUST,
			Source: src(docCT, "Undocumented calls (a TOTP code already accepted for that client is rejected)"),
			Refs:   refs("ASVS 5.0 6.5.1", "RFC 6238 §5.2"), Run: raceTOTP},
	)
}

// statusCounts summarizes the answers of a burst: "HTTP 401 ×5, HTTP 429 ×15".
func statusCounts(xs []*X) string {
	n := map[int]int{}
	for _, x := range xs {
		n[x.Status()]++
	}
	codes := make([]int, 0, len(n))
	for c := range n {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("HTTP %d ×%d", c, n[c]))
	}
	return strings.Join(parts, ", ")
}

// wantOneSuccess records a violation unless exactly one answer of the burst
// is a 2xx and every other one a 4xx.
func (t *T) wantOneSuccess(xs []*X, round int, what string) bool {
	var wins []*X
	for _, x := range xs {
		switch {
		case x.Is2xx():
			wins = append(wins, x)
		case !x.Is4xx():
			t.Expect(false, x, "round %d: %s: a request that loses the race must get a 4xx", round, what)
		}
	}
	if len(wins) == 1 {
		return true
	}
	for _, x := range wins {
		t.annotate(x, "one of several successes")
	}
	t.Fail("round %d of %d: %s: %d of %d concurrent requests succeeded (%s); want exactly one",
		round, raceRounds, what, len(wins), len(xs), statusCounts(xs))
	return false
}

// raceLockout sends a burst of wrong passwords, each in its own wizard, for
// one fresh account: at most `attempts` may be checked (answered other than
// the lockout status).
func raceLockout(t *T) {
	l := t.signinLimit()
	n := min(max(3*l.Attempts, l.Attempts+5), 40)
	for round := 1; round <= raceRounds; round++ {
		a := t.newAccount()
		reqs := make([]burstReq, n)
		for i := range reqs {
			pw := "Wrong-" + randHex(6)
			t.secret(pw)
			reqs[i] = burstReq{step: fmt.Sprintf("round %d: wrong password %d of %d", round, i+1, n), method: http.MethodPost, path: api + "/signin",
				body: map[string]any{"uuid": t.wizard(), "email": a.Email, "password": pw, "device_fingerprint": t.r.fingerprint()}}
		}
		xs := t.burst(reqs)
		checked := 0
		for _, x := range xs {
			if x.Status() != t.r.cfg.LockoutStatus {
				checked++
			}
			t.Expect(x.Is4xx(), x, "round %d: a wrong password must get a 4xx", round)
		}
		if checked > l.Attempts {
			t.FailNow("round %d of %d: %d concurrent wrong passwords got %d answers other than the lockout status %d (%s); the policy (%s) allows at most %d",
				round, raceRounds, n, checked, t.r.cfg.LockoutStatus, statusCounts(xs), l, l.Attempts)
		}
	}
}

// raceRefresh uses one refresh token in a burst: exactly one refresh may
// succeed. The burst stays within the refresh limit.
func raceRefresh(t *T) {
	n := max(2, min(raceBurst, t.refreshLimit().Attempts))
	for round := 1; round <= raceRounds; round++ {
		s := t.login(t.newAccount())
		reqs := make([]burstReq, n)
		for i := range reqs {
			reqs[i] = burstReq{step: fmt.Sprintf("round %d: refresh %d of %d", round, i+1, n), method: http.MethodPost, path: api + "/refresh",
				body: map[string]any{"refreshToken": s.refresh}}
		}
		if !t.wantOneSuccess(t.burst(reqs), round, "one refresh token") {
			return
		}
	}
}

// raceSuccessToken uses one success token for concurrent password changes:
// exactly one may succeed.
func raceSuccessToken(t *T) {
	for round := 1; round <= raceRounds; round++ {
		a := t.newAccount()
		s := t.login(a)
		st := t.challenge(a, s)
		reqs := make([]burstReq, raceBurst)
		for i := range reqs {
			pw := newPassword()
			t.secret(pw)
			reqs[i] = burstReq{step: fmt.Sprintf("round %d: password change %d of %d", round, i+1, raceBurst), method: http.MethodPost, path: api + "/password/change",
				body: map[string]any{"password": pw}, opts: []callOpt{withBearer(s.access), withHeader("successToken", st)}}
		}
		if !t.wantOneSuccess(t.burst(reqs), round, "one success token") {
			return
		}
	}
}

// raceChallengeCode posts one emailed challenge code concurrently: exactly
// one success token may come of it.
func raceChallengeCode(t *T) {
	for round := 1; round <= raceRounds; round++ {
		a := t.newAccount()
		s := t.login(a)
		mark, x, conf := t.startChallenge(a, s)
		if !x.Is2xx() || conf == "" {
			t.Errorf("setup: GET 2fa/challenge failed: %s", x.StatusText())
		}
		code := t.awaitCode(mark, "")
		reqs := make([]burstReq, raceBurst)
		for i := range reqs {
			reqs[i] = burstReq{step: fmt.Sprintf("round %d: challenge code %d of %d", round, i+1, raceBurst), method: http.MethodPost, path: api + "/2fa/challenge",
				body: map[string]any{"token": conf, "code": code}, opts: []callOpt{withBearer(s.access)}}
		}
		if !t.wantOneSuccess(t.burst(reqs), round, "one emailed code") {
			return
		}
	}
}

// raceTOTP brings several Sign In Wizards of one account to the TOTP step
// and posts the same fresh code to all of them at once: exactly one may
// sign in.
func raceTOTP(t *T) {
	const wizards = 3
	for round := 1; round <= raceRounds; round++ {
		a := t.newAccount(b2core.ProviderGoogle)
		uuids := make([]string, wizards)
		for i := range uuids {
			uuids[i], _ = t.to2FAStep(a, b2core.ProviderGoogle)
		}
		code := t.nextTOTP(a)
		reqs := make([]burstReq, wizards)
		for i, u := range uuids {
			reqs[i] = burstReq{step: fmt.Sprintf("round %d: TOTP code in wizard %d of %d", round, i+1, wizards), method: http.MethodPost, path: api + "/2fa/google",
				body: map[string]any{"uuid": u, "code": code}}
		}
		if !t.wantOneSuccess(t.burst(reqs), round, "one TOTP code") {
			return
		}
	}
}
