// A pool of signed-in sessions shared by every VU, for scenarios that
// exercise authenticated calls without signing in every iteration. The
// pool signs in `size` users once, hands sessions round robin, and
// refreshes each before its access token expires, never past the refresh
// rate limit (5 a minute per client by default).
import { check } from 'k6';
import { SessionPool, UserPicker } from 'k6/x/authflow';
import { client, createUsers, fileUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 3,
  iterations: 30,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flows{flow:tfa_changes,outcome:success}': ['count>=30'],
    'authflow_flows{flow:password_changes,outcome:success}': ['count>=30'],
    'authflow_flows{flow:signin,outcome:success}': ['count<=2'],
  }),
};

const c = client({ tags: { example: 'session_pool' } });
const POOL = { size: 2, refreshBefore: '60s' };
let pool = fileUsers ? new SessionPool(c, new UserPicker(fileUsers, { twoFactor: 'none' }), POOL) : null;

export function setup() {
  return fileUsers ? {} : { users: createUsers(2) };
}

export default function (data) {
  if (!pool) pool = new SessionPool(c, data.users, POOL);
  const s = pool.get();
  if (!check(s, { 'a pooled session': (x) => x !== null })) return;
  check(c.tfaChanges(s, { limit: 5 }), { '2fa history': (r) => r.ok });
  check(c.passwordChanges(s, { limit: 5 }), { 'password history': (r) => r.ok });
  pool.release();
}
