// 2FA enrolment: enable Google Authenticator (the new secret signs in
// again), disable it, enable SMS, disable it, and read the 2FA history.
import { check } from 'k6';
import { totp } from 'k6/x/authflow';
import { client, createUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 2,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flows{flow:2fa_enable_google,outcome:success}': ['count>=2'],
    'authflow_flows{flow:2fa_enable_sms,outcome:success}': ['count>=2'],
  }),
};

const c = client({ tags: { example: 'tfa_enrol' } });

export function setup() {
  return { users: createUsers(options.vus) };
}

export default function (data) {
  // Each VU owns one account; every iteration leaves its 2FA off again.
  const user = data.users[(__VU - 1) % data.users.length];
  const s = c.signIn(user);
  if (!check(s, { 'signed in': (r) => r.ok })) return;

  const g = c.enableGoogle(s.session);
  if (check(g, { 'google enabled': (r) => r.ok && totp(r.secret).length === 6 })) {
    user.totpSecret = g.secret;
    check(c.disable2FA(s.session, 'google', user), { 'google disabled': (r) => r.ok });
  }
  const phone = '+1555' + String(1000000 + __VU * 1000 + __ITER).slice(-7);
  if (check(c.enableSMS(s.session, phone), { 'sms enabled': (r) => r.ok })) {
    user.phone = phone;
    check(c.disable2FA(s.session, 'sms', user), { 'sms disabled': (r) => r.ok });
  }
  const h = c.tfaChanges(s.session, { limit: 10, sortOrder: 'desc' });
  check(h, { '2fa history has the four changes': (r) => r.ok && r.total >= 4 });
  check(c.tfaChanges(s.session, { provider: 'google', isEnabled: true }), { 'history filters': (r) => r.ok && r.total >= 1 });
}
