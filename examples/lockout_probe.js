// Lockout probe: wrong 2FA codes, step by step, until the server locks the
// account out (HTTP 429 with Retry-After), then proof that the right
// password is refused too while blocked, and that the block ends. The
// policy is shortened through the hooks for the run and restored after.
//
// The wrong codes are expected answers here: each step passes
// expectedStatuses so they do not count in http_req_failed.
import { check, sleep } from 'k6';
import { totp } from 'k6/x/authflow';
import { client, hooks } from './lib/env.js';

export const options = {
  vus: 1,
  iterations: 1,
  thresholds: {
    checks: ['rate==1'],
    authflow_lockouts: ['count>=1'],
    authflow_otp_rejected: ['count>=1'],
    http_req_failed: ['rate==0'],
  },
};

const c = client({ tags: { example: 'lockout_probe' } });
// As in k6/http, expectedStatuses replaces the default (200-399): a
// refused code is expected, an accepted wrong code would be a failure.
// CONTRACT.md fixes 429 for a blocked sign-in and only the class of the
// rest: a wrong code is any 4xx, the right password any 2xx.
const refused = { expectedStatuses: [{ min: 400, max: 499 }] };
const passwordOrLockout = { expectedStatuses: [{ min: 200, max: 299 }, 429] };

export function setup() {
  const before = hooks.getPolicy();
  const policy = hooks.setPolicy({ signin: { attempts: 3, windowSeconds: 60, blockSeconds: 3 } });
  return { before, policy, user: hooks.createClient({ twoFactor: ['google'] }) };
}

export default function ({ policy, user }) {
  const attempts = policy.signin.attempts;
  let lockedAt = 0;
  let retryAfter = 0;
  for (let i = 1; i <= attempts + 1 && !lockedAt; i++) {
    const wz = c.steps.signInWizard();
    const si = c.steps.signIn(wz.uuid, user.email, user.password, passwordOrLockout);
    if (si.outcome === 'lockout') { lockedAt = i; retryAfter = si.retryAfter; break; }
    const ch = c.steps.choose2FA(si.uuid, 'google');
    const sc = c.steps.submitCode(ch.uuid, 'google', '000000', refused);
    check(sc, { 'a wrong code is refused': (r) => !r.ok && (r.outcome === 'otp_rejected' || r.outcome === 'lockout') });
    if (sc.outcome === 'lockout') { lockedAt = i; retryAfter = sc.retryAfter; }
  }
  check(lockedAt, { [`locked out after at most ${attempts + 1} attempts`]: (n) => n > 0 });
  check(retryAfter, { 'Retry-After is given': (s) => s > 0 && s <= policy.signin.blockSeconds });

  const wz = c.steps.signInWizard();
  const blocked = c.steps.signIn(wz.uuid, user.email, user.password, { expectedStatuses: [429] });
  check(blocked, { 'the right password is refused while blocked': (r) => r.outcome === 'lockout' && r.status === 429 });

  sleep(retryAfter + 0.5);
  const again = c.signIn(user, { method: 'google' });
  check(again, { 'the block ends': (r) => r.ok });
}

export function teardown({ before }) {
  hooks.setPolicy(before);
}
