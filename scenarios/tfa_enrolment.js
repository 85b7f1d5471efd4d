// 2FA enrolment and removal: each VU owns a signed-in account and, every
// iteration, enables Google Authenticator (a new secret; the code typed is
// computed from it), disables it with a fresh code, then enables SMS on a
// phone of its own (code from the hooks) and disables it again.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client } from 'k6/x/authflow';
import { config, clientOptions } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { ownAccount, setupAccounts } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { enrol: { executor: 'constant-vus', exec: 'enrol', vus: config.vus, duration: config.duration } },
  thresholds: thresholds(
    ['2fa_enable_google', '2fa_enable_sms', '2fa_disable'],
    ['2fa_enable_wizard', '2fa_disable_wizard', '2fa_wizard'],
  ),
};

const client = new Client(clientOptions());
let session = null;

export function setup() {
  return setupAccounts(config.vus);
}

export const enrol = guard('enrol', (data) => {
  const me = ownAccount(data);
  if (!session) {
    const si = client.signIn(me);
    if (!check(si, { 'signed in': (r) => r.ok })) return;
    session = si.session;
  }
  const g = client.enableGoogle(session);
  if (check(g, { 'google enabled': (r) => r.ok })) {
    // A TOTP code is single-use: the disable code must come from the next
    // 30-second step, which the flow waits for when it has to.
    check(client.disable2FA(session, 'google', { email: me.email, totpSecret: g.secret }), { 'google disabled': (r) => r.ok });
  }
  const phone = `+1555${String(exec.vu.idInTest).padStart(7, '0')}`;
  if (check(client.enableSMS(session, phone), { 'sms enabled': (r) => r.ok })) {
    check(client.disable2FA(session, 'sms', { email: me.email, phone }), { 'sms disabled': (r) => r.ok });
  }
});

export const handleSummary = summaryHandler('tfa_enrolment');
