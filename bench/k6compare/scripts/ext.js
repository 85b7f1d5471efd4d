// Variant (a) of the k6 comparison: the sign-in + Google TOTP flow by the
// authflow extension. See common.js for the environment.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client, openUsers } from 'k6/x/authflow';
import { BASE_URL, USERS_FILE, USER_AGENT, benchOptions } from './common.js';

export const options = benchOptions({
  'authflow_flows{outcome:success}': ['count>=0'],
  authflow_flow_failed: ['rate>=0'],
});

const users = openUsers(USERS_FILE);
const client = new Client({ baseURL: BASE_URL, timeout: '30s', userAgent: USER_AGENT });

export default function () {
  const r = client.signIn(users[exec.scenario.iterationInTest], { method: 'google' });
  if (!r.ok) console.warn(`flow failed: ${r.flow}/${r.step} ${r.outcome} ${r.status} ${r.reason}`);
  check(r, { 'signed in with TOTP': (x) => x.ok && x.flow === 'signin_totp' });
}
