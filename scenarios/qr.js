// QR-code sign-in: a signed-in "mobile" session (from a pool shared by the
// VUs) authorizes a QR channel opened by a fresh browser session, which
// then gets its own tokens; the new session signs out to end the iteration.
import { check } from 'k6';
import { Client, SessionPool } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

const size = Math.max(2, Math.ceil(config.rate));

export const options = {
  scenarios: { qr: openModel('qr', config.rate) },
  thresholds: thresholds(['qr_signin'], ['qr_channel', 'qr_authorize', 'qr_signin']),
};

const client = new Client(clientOptions());
let mobiles = null;

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(size, { twoFactor: [] }) };
}

export const qr = guard('qr', (data) => {
  if (!mobiles) mobiles = new SessionPool(client, picker('none', data), { name: 'qr-mobiles', size });
  const mobile = mobiles.get();
  if (!check(mobile, { 'a signed-in mobile session': (s) => s !== null })) return;
  const r = client.qrSignIn(mobile);
  mobiles.release();
  if (check(r, { 'signed in by QR code': (x) => x.ok })) client.signOut(r.session);
});

export const handleSummary = summaryHandler('qr');
