// session_pool.js in TypeScript: signed-in sessions shared by every VU,
// refreshed before their access tokens expire, used for the history calls.
//
//   AUTHFLOW_BASE_URL   the API under test (default http://127.0.0.1:8080)
//   AUTHFLOW_HOOKS_URL  its test hooks (default <base>/__hooks)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { Client, Hooks, SessionPool, type SessionPoolOptions, type User } from 'k6/x/authflow';

const BASE_URL = (__ENV.AUTHFLOW_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const HOOKS_URL = (__ENV.AUTHFLOW_HOOKS_URL || BASE_URL + '/__hooks').replace(/\/+$/, '');

export const options: Options = {
  vus: 3,
  iterations: 30,
  thresholds: {
    authflow_flow_failed: ['rate==0'],
    checks: ['rate==1'],
    'authflow_flows{flow:tfa_changes,outcome:success}': ['count>=30'],
    'authflow_flows{flow:password_changes,outcome:success}': ['count>=30'],
    'authflow_flows{flow:signin,outcome:success}': ['count<=2'],
  },
};

const hooks = new Hooks(HOOKS_URL);
const client = new Client({
  baseURL: BASE_URL,
  timeout: '10s',
  codes: { source: 'hooks', hooksURL: HOOKS_URL },
  tags: { example: 'session_pool_ts' },
});
const POOL: SessionPoolOptions = { name: 'session_pool_ts', size: 2, refreshBefore: '60s' };
let pool: SessionPool | null = null;

export function setup(): { users: User[] } {
  return { users: hooks.createClients(2) };
}

export default function (data: { users: User[] }): void {
  if (!pool) pool = new SessionPool(client, data.users, POOL);
  const s = pool.get();
  if (!check(s, { 'a pooled session': (x) => x !== null }) || s === null) return;
  check(client.tfaChanges(s, { limit: 5 }), { '2fa history': (r) => r.ok });
  check(client.passwordChanges(s, { limit: 5 }), { 'password history': (r) => r.ok });
  pool.release();
}
