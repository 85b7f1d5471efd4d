// Password restore for a signed-out client: the unauthorized 2FA challenge
// (email code from the hooks) gives a success token, the password is
// restored with it, and the new password signs in. One account per VU.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client } from 'k6/x/authflow';
import { config, clientOptions } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { ownAccount, setupAccounts } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { restore: { executor: 'constant-vus', exec: 'restore', vus: config.vus, duration: config.duration } },
  thresholds: thresholds(['password_restore', 'signin'], ['challenge_unauthorized_start', 'challenge_complete', 'password_restore']),
};

const client = new Client(clientOptions());
// This VU's account, copied out of the setup data so its password can change.
let mine = null;
const account = (data) => mine || (mine = Object.assign({}, ownAccount(data)));

export function setup() {
  return setupAccounts(config.vus);
}

export const restore = guard('restore', (data) => {
  const me = account(data);
  const next = `Rst-${exec.vu.idInTest}-${exec.vu.iterationInInstance}-b2!`;
  if (!check(client.restorePassword(me.email, next), { 'password restored': (r) => r.ok })) return;
  me.password = next;
  const si = client.signIn(me);
  if (check(si, { 'the new password signs in': (r) => r.ok })) client.signOut(si.session);
});

export const handleSummary = summaryHandler('password_restore');
