// Soak: a steady session life cycle (sign in, refresh, read both histories,
// sign out) at AUTHFLOW_RATE per second for a long AUTHFLOW_DURATION (set
// e.g. 1h; the default is short so that it runs in CI). Degradation over
// time shows in the report's latency-over-time chart; the gate is the same
// SLA as the other scenarios, over the whole run.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  scenarios: { soak: openModel('soak', config.rate) },
  thresholds: thresholds(['signin', 'refresh', 'tfa_changes', 'password_changes', 'signout'], ['signin', 'refresh', 'signout']),
};

const client = new Client(clientOptions());

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(Math.ceil(config.rate * 15) + 5, { twoFactor: [] }) };
}

export const soak = guard('soak', (data) => {
  const si = client.signIn(picker('none', data));
  if (!check(si, { 'signed in': (r) => r.ok })) return;
  check(client.refresh(si.session), { 'refreshed': (r) => r.ok });
  check(client.tfaChanges(si.session, { limit: 5 }), { '2fa history': (r) => r.ok });
  check(client.passwordChanges(si.session, { limit: 5 }), { 'password history': (r) => r.ok });
  check(client.signOut(si.session), { 'signed out': (r) => r.ok });
});

export const handleSummary = summaryHandler('soak');
