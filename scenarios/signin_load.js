// Sign-in load, open model: sign-ins without 2FA and with Google TOTP
// arrive at AUTHFLOW_RATE per second each (ramping up, holding, ramping
// down over AUTHFLOW_DURATION), whatever the target's latency, as real
// users would. TOTP users are picked so that none replays a code.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, rampStages } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks, totpUsersFor } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

const ramp = (exec) => ({
  executor: 'ramping-arrival-rate',
  exec,
  startRate: 0,
  timeUnit: '1s',
  stages: rampStages(config.rate, config.duration),
  preAllocatedVUs: Math.min(config.maxVUs, Math.max(2, Math.ceil(config.rate))),
  maxVUs: config.maxVUs,
});

export const options = {
  scenarios: { plain: ramp('plain'), totp: ramp('totp') },
  thresholds: thresholds(['signin', 'signin_totp'], ['signin_wizard', 'signin', 'signin_2fa', '2fa_google']),
};

const client = new Client(clientOptions({ tags: { scenario_kind: 'signin_load' } }));

export function setup() {
  if (fileUsers) return {};
  const n = totpUsersFor(config.rate);
  return { users: hooks.createClients(n, { twoFactor: [] }).concat(hooks.createClients(n, { twoFactor: ['google'] })) };
}

export const plain = guard('plain', (data) => {
  const r = client.signIn(picker('none', data));
  check(r, { 'signed in (no 2FA)': (x) => x.ok });
});

export const totp = guard('totp', (data) => {
  const r = client.signIn(picker('google', data), { method: 'google' });
  check(r, { 'signed in (TOTP)': (x) => x.ok });
});

export const handleSummary = summaryHandler('signin_load');
