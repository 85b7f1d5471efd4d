// Shared settings of the authflow examples.
//
//   AUTHFLOW_BASE_URL   the API under test (default http://127.0.0.1:8080)
//   AUTHFLOW_HOOKS_URL  its test hooks (default <base>/__hooks)
//   AUTHFLOW_USERS      a user file (JSON or CSV, as written by
//                       `authflow serve --users N --users-file F`); without
//                       it the examples create their accounts in setup()
import { Client, Hooks, openUsers } from 'k6/x/authflow';

export const BASE_URL = (__ENV.AUTHFLOW_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const HOOKS_URL = (__ENV.AUTHFLOW_HOOKS_URL || BASE_URL + '/__hooks').replace(/\/+$/, '');

export const hooks = new Hooks(HOOKS_URL);

// The user file, opened once per test run in the init context, or null.
export const fileUsers = __ENV.AUTHFLOW_USERS ? openUsers(__ENV.AUTHFLOW_USERS) : null;

// client returns a client of the target whose SMS and email codes come
// from the test hooks.
export function client(options) {
  return new Client(Object.assign({
    baseURL: BASE_URL,
    timeout: '10s',
    codes: { source: 'hooks', hooksURL: HOOKS_URL },
  }, options || {}));
}

// createUsers makes n fresh accounts through the hooks (in setup()).
export function createUsers(n, twoFactor) {
  return hooks.createClients(n, { twoFactor: twoFactor || [] });
}

// Thresholds every example shares: no flow failed for real, every check held.
export const baseThresholds = {
  authflow_flow_failed: ['rate==0'],
  checks: ['rate==1'],
};
