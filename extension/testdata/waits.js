// End-to-end check of the client's own waits (TestE2EWaits): they are
// waitedMs and authflow_wait_duration, never durationMs or a flow duration.
import { check } from 'k6';
import { Client, Hooks } from 'k6/x/authflow';

const BASE = __ENV.AUTHFLOW_BASE_URL;
const hooks = new Hooks(BASE + '/__hooks');
const waits = new Client({ baseURL: BASE, codes: { source: 'hooks' } });
const fast = new Client({ baseURL: BASE, codes: { source: 'hooks' }, totpWait: 'fail' });

export const options = {
  vus: 1,
  iterations: 1,
  thresholds: {
    'authflow_wait_duration{reason:code_poll}': ['max>0'],
    'authflow_flows{outcome:totp_step_used}': ['count==1'],
    checks: ['rate==1'],
  },
};

function stepSum(r) {
  return r.steps.reduce((s, x) => s + x.durationMs, 0);
}

export default function () {
  const sms = hooks.createClient({ twoFactor: ['sms'] });
  const r = waits.signIn(sms);
  check(r, {
    'sms sign-in ok': (x) => x.ok && x.flow === 'signin_sms',
    'waitedMs is a number': (x) => typeof x.waitedMs === 'number' && x.waitedMs > 0,
    'durationMs is the requests plus client work': (x) => x.durationMs >= stepSum(x) && x.durationMs - stepSum(x) < 250,
  });
  const g = hooks.createClient({ twoFactor: ['google'] });
  const a = fast.signIn(g);
  const b = fast.signIn(g);
  const c = fast.signIn(g);
  check(c, {
    'two codes per step, then totp_step_used at once': (x) => a.ok && b.ok && x.outcome === 'totp_step_used' && x.waitedMs === 0,
    'no code sent for it': (x) => x.steps.every((s) => s.step !== '2fa_google'),
    'keys in one order': (x) => Object.keys(x).join() === 'ok,flow,outcome,step,status,reason,durationMs,waitedMs,retryAfter,steps',
  });
}
