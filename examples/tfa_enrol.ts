// tfa_enrol.js in TypeScript: enable Google Authenticator, disable it with
// the new secret, enable SMS, disable it with the phone, read the history.
//
//   AUTHFLOW_BASE_URL   the API under test (default http://127.0.0.1:8080)
//   AUTHFLOW_HOOKS_URL  its test hooks (default <base>/__hooks)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { Client, Hooks, totp, type User } from 'k6/x/authflow';

const BASE_URL = (__ENV.AUTHFLOW_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const HOOKS_URL = (__ENV.AUTHFLOW_HOOKS_URL || BASE_URL + '/__hooks').replace(/\/+$/, '');
const VUS = 2;

export const options: Options = {
  vus: VUS,
  iterations: VUS,
  thresholds: {
    authflow_flow_failed: ['rate==0'],
    checks: ['rate==1'],
    'authflow_flows{flow:2fa_enable_google,outcome:success}': ['count>=2'],
    'authflow_flows{flow:2fa_enable_sms,outcome:success}': ['count>=2'],
  },
};

const hooks = new Hooks(HOOKS_URL);
const client = new Client({
  baseURL: BASE_URL,
  timeout: '10s',
  codes: { source: 'hooks', hooksURL: HOOKS_URL },
  tags: { example: 'tfa_enrol_ts' },
});

export function setup(): { users: User[] } {
  return { users: hooks.createClients(VUS) };
}

export default function (data: { users: User[] }): void {
  // Each VU owns one account; every iteration leaves its 2FA off again.
  const user = data.users[(__VU - 1) % data.users.length];
  const s = client.signIn(user);
  if (!check(s, { 'signed in': (r) => r.ok })) return;

  const g = client.enableGoogle(s.session);
  if (check(g, { 'google enabled': (r) => r.ok && totp(r.secret).length === 6 })) {
    // Disabling needs the email and the method's credential, no password.
    check(client.disable2FA(s.session, 'google', { email: user.email, totpSecret: g.secret }), { 'google disabled': (r) => r.ok });
  }
  const phone = '+1555' + String(1000000 + __VU * 1000 + __ITER).slice(-7);
  if (check(client.enableSMS(s.session, phone), { 'sms enabled': (r) => r.ok })) {
    check(client.disable2FA(s.session, 'sms', { email: user.email, phone }), { 'sms disabled': (r) => r.ok });
  }
  const h = client.tfaChanges(s.session, { limit: 10, sortOrder: 'desc' });
  check(h, { '2fa history has the four changes': (r) => r.ok && r.total >= 4 });
}
