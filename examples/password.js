// Passwords: change (signed in, guarded by a 2FA challenge), restore
// (signed out), the Sign In page reset a Back Office user asks for, and
// the password history. Each VU owns one account and keeps its password.
import { check } from 'k6';
import { client, createUsers, hooks, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:password_change}': ['p(95)<1000'],
    'authflow_flows{flow:signin_reset,outcome:success}': ['count>=4'],
  }),
};

const c = client({ tags: { example: 'password' } });

export function setup() {
  return { users: createUsers(options.vus) };
}

export default function (data) {
  const me = data.users[(__VU - 1) % data.users.length];
  const pw = (what) => `Pw-${what}-${__VU}-${__ITER}-${Date.now()}`;

  const s = c.signIn(me);
  if (!check(s, { 'signed in': (r) => r.ok })) return;

  const changed = pw('changed');
  if (check(c.changePassword(s.session, me.email, changed), { 'password changed': (r) => r.ok })) me.password = changed;

  const restored = pw('restored');
  if (check(c.restorePassword(me.email, restored), { 'password restored': (r) => r.ok })) me.password = restored;

  // A Back Office user asks for a reset: the next sign-in goes through it.
  hooks.markResetRequired(me.id);
  const reset = pw('reset');
  const r = c.signIn(me, { newPassword: reset });
  if (check(r, { 'reset on the Sign In page': (x) => x.ok && x.flow === 'signin_reset' })) me.password = reset;

  const h = c.passwordChanges(r.ok ? r.session : s.session, { limit: 50, sortOrder: 'desc' });
  check(h, { 'history lists the changes': (x) => x.ok && x.total >= 3 });
}
