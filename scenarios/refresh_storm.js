// Refresh storm: token refreshes at AUTHFLOW_RATE per second over a pool of
// signed-in sessions. The server allows `attempts` refreshes per client per
// window (5 a minute by default), so the pool holds enough sessions that a
// correct server never rate-limits this storm; a 429 is counted as its own
// outcome (authflow_rate_limited), and the threshold on it is the gate.
import { check } from 'k6';
import { Client, SessionPool } from 'k6/x/authflow';
import { config, clientOptions, openModel, seconds } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

// Sessions needed so that no client refreshes more than 4 times a minute.
const size = Math.ceil((config.rate * Math.min(60, seconds(config.duration))) / 4) + 2;

export const options = {
  scenarios: { refresh: openModel('refresh', config.rate) },
  thresholds: Object.assign(thresholds(['refresh'], ['refresh']), { authflow_rate_limited: ['count==0'] }),
};

const client = new Client(clientOptions());
let pool = null;

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(size, { twoFactor: [] }) };
}

export const refresh = guard('refresh', (data) => {
  if (!pool) pool = new SessionPool(client, picker('none', data), { name: 'refresh-storm', size, refreshBefore: '60s' });
  const s = pool.get();
  if (!check(s, { 'a pooled session': (x) => x !== null })) return;
  check(client.refresh(s), { 'refreshed': (r) => r.ok });
  pool.release();
});

export const handleSummary = summaryHandler('refresh_storm');
