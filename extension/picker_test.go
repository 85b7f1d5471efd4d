package extension

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
	"github.com/authflow/authflow/refserver"
)

// The picker spends a user's TOTP step only when a TOTP code went to the
// server; a refused password counts toward the lockout policy only.
func TestPickerSpendsTOTPStepOnlyWhenACodeWasSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		outcome   b2core.Outcome
		sent      bool
		available int
		blocked   int
	}{
		{"wrong password", b2core.OutcomeRejected, false, 1, 0},
		{"no answer at the password step", b2core.OutcomeFailure, false, 1, 0},
		{"lockout at the password step", b2core.OutcomeLockout, false, 0, 1},
		{"code sent and accepted", b2core.OutcomeSuccess, true, 0, 0},
		{"code sent and refused", b2core.OutcomeOTPRejected, true, 0, 0},
		{"both steps used by this client", b2core.OutcomeTOTPStepUsed, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set, err := packUsers("", []User{{Email: "a@x", Password: "p", TOTPSecret: "JBSWY3DPEHPK3PXP"}})
			require.NoError(t, err)
			p := newPickerState("t", set, pickerOptions{Policy: &Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 100}})
			clock := testutil.NewClock(time.Unix(1_000_010, 0))
			p.now = clock.Now
			e, _ := p.tryPick(clock.Now())
			require.NotNil(t, e)
			p.releaseAfter("a@x", e.leaseID, tt.outcome, 0, tt.sent)
			st := p.stats()
			assert.Equal(t, tt.available, st.Available, "%+v", st)
			assert.Equal(t, tt.blocked, st.Blocked, "%+v", st)
			if tt.outcome == b2core.OutcomeTOTPStepUsed {
				clock.Advance(20 * time.Second) // the next step: still spent
				assert.Equal(t, 0, p.stats().Available)
				clock.Advance(30 * time.Second)
				assert.Equal(t, 1, p.stats().Available)
			}
		})
	}
}

// next() with maxWait on an exhausted pool waits until the deadline, to
// the millisecond, and then returns null.
func TestPickerMaxWaitHonoured(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil).toVU()
	out := v.obj(`
		var p = new authflow.UserPicker([{ email: 'a@x', password: 'p', totpSecret: 'JBSWY3DPEHPK3PXP' }],
			{ maxWait: '300ms', name: 'tiny' });
		var u = p.next();
		var t0 = Date.now();
		var none = p.next();
		var waited = Date.now() - t0;
		p.release(u, 'rejected');
		var t1 = Date.now();
		var again = p.next();
		return { first: !!u, none: none === null, waited: waited, again: !!again, quick: Date.now() - t1 };`)
	assert.Equal(t, true, out["first"])
	assert.Equal(t, true, out["none"])
	assert.GreaterOrEqual(t, num(out["waited"]), 300.0)
	// The upper bounds leave room for a loaded CI machine under -race; what
	// they catch is a wait until a lease or TOTP step ends (seconds).
	assert.Less(t, num(out["waited"]), 1000.0)
	assert.Equal(t, true, out["again"], "a refused password does not spend the TOTP step")
	assert.Less(t, num(out["quick"]), 500.0, "a freed user is taken at once")
	var warned bool
	for _, e := range v.logs.AllEntries() {
		if assert.NotContains(t, e.Message, "{") {
			warned = warned || strings.Contains(e.Message, "waits up to 300ms")
		}
	}
	assert.True(t, warned, "the warning says how long next() waits")
}

// A picker's sign-in that fails at the password step keeps the user free
// for the next try, and every result carries its user.
func TestPickerSignInFailuresCarryTheUser(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base });`)
	out := v.obj(`
		var g = hooks.createClient({ twoFactor: ['google'] });
		var bad = { email: g.email, password: 'not-' + g.password, totpSecret: g.totpSecret };
		var p = new authflow.UserPicker([bad], { maxWait: '100ms', name: 'bad' });
		var o = { runs: [] };
		for (var i = 0; i < 3; i++) {
			var r = c.signIn(p);
			o.runs.push({ outcome: r.outcome, step: r.step, user: r.user ? r.user.email : null });
		}
		o.email = g.email;
		return o;`)
	for _, r := range out["runs"].([]any) {
		m := r.(map[string]any)
		assert.Equal(t, "rejected", m["outcome"], m)
		assert.Equal(t, "signin", m["step"], m)
		assert.Equal(t, out["email"], m["user"], "the failed result names its user")
	}
}

// next() returns null at once when no user can be free before maxWait
// ends, even if every lease ended now: here the only user is locked out.
func TestPickerReturnsAtOnceWhenNoneCanBeFree(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil).toVU()
	out := v.obj(`
		var p = new authflow.UserPicker([{ email: 'a@x', password: 'p' }], { maxWait: '2s', name: 'locked' });
		var u = p.next();
		p.release(u, 'lockout', 60);
		var t0 = Date.now();
		var none = p.next();
		return { none: none === null, waited: Date.now() - t0 };`)
	assert.Equal(t, true, out["none"])
	assert.Less(t, num(out["waited"]), 500.0, "not the 2 s of maxWait")
}

// A user another VU releases is handed to a waiting next() at once, long
// before its lease would have ended.
func TestPickerWaiterWokenByRelease(t *testing.T) {
	t.Parallel()
	set, err := packUsers("", []User{{Email: "a@x", Password: "p"}})
	require.NoError(t, err)
	p := newPickerState("t", set, pickerOptions{MaxWait: 3 * time.Second})
	held, _, _ := p.next(t.Context(), nil)
	require.NotNil(t, held)
	go func() {
		time.Sleep(100 * time.Millisecond)
		p.releaseAfter("a@x", held.leaseID, b2core.OutcomeSuccess, 0, false)
	}()
	got, _, slept := p.next(t.Context(), nil)
	require.NotNil(t, got)
	assert.GreaterOrEqual(t, slept, 100*time.Millisecond)
	assert.Less(t, slept, time.Second, "woken by the release, not by the lease's end")
}

// release(user, result) learns from the result's steps whether a TOTP
// code was sent.
func TestPickerReleaseLearnsFromTheResult(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base });`)
	out := v.obj(`
		var g = hooks.createClient({ twoFactor: ['google'] });
		var p = new authflow.UserPicker([g], { maxWait: '1ms', name: 'learn' });
		var u = p.next();
		var bad = c.signIn({ email: u.email, password: 'x' + u.password, totpSecret: u.totpSecret });
		p.release(u, bad);
		var again = p.next();
		var good = c.signIn(again);
		p.release(again, good);
		return { bad: bad.outcome, freeAfterBad: again !== null, good: good.ok, freeAfterGood: p.next() !== null };`)
	assert.Equal(t, "rejected", out["bad"])
	assert.Equal(t, true, out["freeAfterBad"], "no code was sent: the step is not spent")
	assert.Equal(t, true, out["good"])
	assert.Equal(t, false, out["freeAfterGood"], "a code was sent: the user waits for the next step")
}

// A soak picks for hours: the picker keeps about the picks of the last 30 s
// (it trims them every 1,024 picks), never every pick of the run.
func TestPickerPicksStayBounded(t *testing.T) {
	t.Parallel()
	users := make([]User, 3000)
	for i := range users {
		users[i] = User{Email: fmt.Sprintf("u%d@x", i), Password: "p"}
	}
	set, err := packUsers("", users)
	require.NoError(t, err)
	p := newPickerState("t", set, pickerOptions{Lease: time.Millisecond})
	clock := testutil.NewClock(time.Unix(1_000_000, 0))
	p.now = clock.Now
	for range 60_000 { // 10 minutes at 100 picks a second
		clock.Advance(10 * time.Millisecond)
		e, _ := p.tryPick(clock.Now())
		require.NotNil(t, e)
	}
	assert.LessOrEqual(t, len(p.picks), 3000+1024, "the picks of the last 30 s, give or take one trim")
	assert.InDelta(t, 100, p.measuredRate(clock.Now()), 1)
}
