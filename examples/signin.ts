// signin.js in TypeScript: sign-in without 2FA through a UserPicker shared
// by every VU, then sign-out. k6 v2 runs .ts files directly; `npm ci &&
// npx tsc` in the repository checks this file against index.d.ts.
//
//   AUTHFLOW_BASE_URL   the API under test (default http://127.0.0.1:8080)
//   AUTHFLOW_HOOKS_URL  its test hooks (default <base>/__hooks)
import { check } from 'k6';
import type { Options } from 'k6/options';
import { Client, Hooks, UserPicker, type SignInResult, type User } from 'k6/x/authflow';

const BASE_URL = (__ENV.AUTHFLOW_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const HOOKS_URL = (__ENV.AUTHFLOW_HOOKS_URL || BASE_URL + '/__hooks').replace(/\/+$/, '');

export const options: Options = {
  vus: 2,
  iterations: 10,
  thresholds: {
    authflow_flow_failed: ['rate==0'],
    checks: ['rate==1'],
    'authflow_flow_duration{flow:signin}': ['p(95)<500'],
    'authflow_flows{flow:signin,outcome:success}': ['count>=10'],
  },
};

const hooks = new Hooks(HOOKS_URL);
const client = new Client({
  baseURL: BASE_URL,
  timeout: '10s',
  onLockout: 'skip',
  codes: { source: 'hooks', hooksURL: HOOKS_URL },
  tags: { example: 'signin_ts' },
});
let picker: UserPicker | null = null;

interface Data {
  users: User[];
}

export function setup(): Data {
  return { users: hooks.createClients(5, { twoFactor: [] }) };
}

export default function (data: Data): void {
  if (!picker) picker = new UserPicker(data.users, { name: 'signin_ts', twoFactor: 'none' });
  const r: SignInResult = client.signIn(picker);
  check(r, { 'signed in': (x) => x.ok && x.flow === 'signin' });
  if (r.ok) check(client.signOut(r.session), { 'signed out': (x) => x.ok });
}
