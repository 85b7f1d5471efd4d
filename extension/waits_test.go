package extension

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/refserver"
)

// stepClock runs at real speed from an offset that aim sets, so that a
// test reaches the next TOTP step when it chooses instead of up to 30 s on.
type stepClock struct{ offset atomic.Int64 }

// aim sets the clock to read lead before the end of the current TOTP step.
func (c *stepClock) aim(lead time.Duration) {
	base := time.Now()
	end := time.Unix((b2core.TOTPStep(base)+1)*b2core.TOTPPeriod, 0)
	offset := end.Add(-lead).Sub(base)
	if offset < 0 {
		offset += b2core.TOTPPeriod * time.Second
	}
	c.offset.Store(int64(offset))
}

func (c *stepClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// withTOTPClock gives the JS client named name the TOTP clock now.
func withTOTPClock(t *testing.T, v *testVU, name string, now func() time.Time) {
	t.Helper()
	c, ok := v.run(name).Export().(*Client)
	require.True(t, ok)
	cfg := c.b2.Config()
	cfg.Now = now
	c.b2 = b2core.New(cfg)
}

// A TOTP user signing in a third time in one step makes the client wait
// for the next step: the wait is waitedMs and authflow_wait_duration
// {reason: totp_step}, never durationMs, authflow_flow_duration or a step.
func TestTOTPWaitIsNotDuration(t *testing.T) {
	t.Parallel()
	clock := &stepClock{}
	now := clock.now
	srv := refServer(t, refserver.Config{Now: now})
	v := newTestVU(t, nil)
	v.run(fmt.Sprintf(`var base = %q;
		var hooks = new authflow.Hooks(base + '/__hooks');
		var c = new authflow.Client({ baseURL: base });
		var f = new authflow.Client({ baseURL: base, totpWait: 'fail' });`, srv.URL))
	withTOTPClock(t, v, "c", now)
	withTOTPClock(t, v, "f", now)
	v.toVU()
	v.run(`var g = hooks.createClient({ twoFactor: ['google'] });
		var h = hooks.createClient({ twoFactor: ['google'] });`)
	clock.aim(2 * time.Second) // two sign-ins fit before the step ends; the third waits
	out := v.obj(`
		function sum(r) { var s = 0; r.steps.forEach(function (x) { s += x.durationMs; }); return s; }
		function keep(r) { return { ok: r.ok, outcome: r.outcome, reason: r.reason, durationMs: r.durationMs,
			waitedMs: r.waitedMs, steps: sum(r), last: r.steps.length ? r.steps[r.steps.length - 1].step : '' }; }
		var o = { runs: [] };
		for (var i = 0; i < 3; i++) o.runs.push(keep(c.signIn(g)));
		// The fail-fast client: two codes, then totp_step_used at once, no code sent.
		o.f1 = keep(f.signIn(h)); o.f2 = keep(f.signIn(h)); o.f3 = keep(f.signIn(h));
		return o;`)
	runs := out["runs"].([]any)
	for i, r := range runs {
		m := r.(map[string]any)
		require.Equal(t, true, m["ok"], m)
		if i < 2 {
			assert.InDelta(t, 0.0, num(m["waitedMs"]), 0.001, "no wait while a step is free")
		}
	}
	third := runs[2].(map[string]any)
	waited, dur, steps := num(third["waitedMs"]), num(third["durationMs"]), num(third["steps"])
	assert.Greater(t, waited, 200.0, "the third sign-in waited for the next TOTP step")
	assert.GreaterOrEqual(t, dur, steps)
	assert.Less(t, dur-steps, min(250.0, waited/2), "durationMs is the requests plus client work, not the wait (%v)", third)

	f3 := out["f3"].(map[string]any)
	assert.Equal(t, "totp_step_used", f3["outcome"], f3)
	assert.InDelta(t, 0.0, num(f3["waitedMs"]), 0.001)
	assert.Equal(t, "signin_2fa", f3["last"], "no code was sent")
	assert.Contains(t, f3["reason"], "totpWait")

	m := byMetric(v.drain())
	var waits []float64
	for _, s := range m[MetricWaitDuration] {
		reason, _ := s.Tags.Get("reason")
		flow, _ := s.Tags.Get("flow")
		assert.Equal(t, "totp_step", reason)
		assert.Equal(t, "signin_totp", flow)
		waits = append(waits, s.Value)
	}
	require.Len(t, waits, 1)
	assert.InDelta(t, waited, waits[0], 0.01)
	var longest float64
	for _, s := range m[MetricFlowDuration] {
		longest = max(longest, s.Value)
	}
	assert.Less(t, longest, waited, "no flow duration holds the wait")
}

// The time until an SMS code can be read is a wait (code_poll), apart
// from the flow's duration.
func TestCodePollIsAWait(t *testing.T) {
	t.Parallel()
	v := hooksVU(t, refserver.Config{}, `
		var c = new authflow.Client({ baseURL: base, codes: { source: 'callback',
			fn: function (to, ch) { var t = Date.now(); while (Date.now() - t < 400) {} return hooks.latestMessage(to).code; } } });`)
	out := v.obj(`
		var s = hooks.createClient({ twoFactor: ['sms'] });
		var rc = c.steps.readCode(s.email, 'email');
		if (rc.waitedMs < 390 || rc.durationMs > 200) throw new Error('readCode: ' + rc.durationMs + ' ms, waited ' + rc.waitedMs);
		var r = c.signIn(s);
		var sum = 0; r.steps.forEach(function (x) { sum += x.durationMs; });
		return { ok: r.ok, flow: r.flow, reason: r.reason, durationMs: r.durationMs, waitedMs: r.waitedMs, steps: sum };`)
	require.Equal(t, true, out["ok"], out)
	// The callback's 400 ms are timed with Date.now(), whole milliseconds:
	// its wait may end up to a millisecond early.
	assert.GreaterOrEqual(t, num(out["waitedMs"]), 390.0)
	assert.Less(t, num(out["durationMs"])-num(out["steps"]), 200.0, out)
	m := byMetric(v.drain())
	require.NotEmpty(t, m[MetricWaitDuration])
	assert.Equal(t, []string{"code_poll"}, tagValues(m[MetricWaitDuration], "reason"))
}

// The waits as a k6 run reports them: waitedMs on results, the wait
// metric in the summary, totp_step_used with totpWait 'fail'.
func TestE2EWaits(t *testing.T) {
	k6 := k6Binary(t)
	srv := refServer(t, refserver.Config{})
	code, s, out := runK6(t, k6, filepath.Join("..", "extension", "testdata", "waits.js"), "AUTHFLOW_BASE_URL="+srv.URL)
	require.Equal(t, 0, code, out)
	assert.Zero(t, s.num("checks", "fails"), out)
	assert.GreaterOrEqual(t, s.num(MetricWaitDuration+"{reason:code_poll}", "count"), 1.0, out)
}
