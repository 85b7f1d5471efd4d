// Password change: each VU owns an account (made through the hooks in
// setup, so no two VUs or two k6 instances share one), signs in, runs the
// 2FA challenge for a success token (email code from the hooks), changes
// its password, and signs out; the next iteration signs in with the new one.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client } from 'k6/x/authflow';
import { config, clientOptions } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { ownAccount, setupAccounts } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { change: { executor: 'constant-vus', exec: 'change', vus: config.vus, duration: config.duration } },
  thresholds: thresholds(['signin', 'password_change', 'signout'], ['challenge_start', 'challenge_complete', 'password_change']),
};

const client = new Client(clientOptions());
// This VU's account, copied out of the setup data so its password can change.
let mine = null;
const account = (data) => mine || (mine = Object.assign({}, ownAccount(data)));

export function setup() {
  return setupAccounts(config.vus);
}

export const change = guard('change', (data) => {
  const me = account(data);
  const si = client.signIn(me);
  if (!check(si, { 'signed in with the current password': (r) => r.ok })) return;
  const next = `Chg-${exec.vu.idInTest}-${exec.vu.iterationInInstance}-a1!`;
  const ch = client.changePassword(si.session, me.email, next);
  if (check(ch, { 'password changed': (r) => r.ok })) me.password = next;
  check(client.signOut(si.session), { 'signed out': (r) => r.ok });
});

export const handleSummary = summaryHandler('password_change');
