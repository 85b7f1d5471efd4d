// Sign-in with an SMS code: the server sends the code, the client reads it
// from the test hooks (codes: { source: 'hooks' }) and submits it.
import { check } from 'k6';
import { UserPicker } from 'k6/x/authflow';
import { client, createUsers, fileUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:signin_sms}': ['p(95)<1000'],
    'authflow_flows{flow:signin_sms,outcome:success}': ['count>=6'],
  }),
};

const c = client({ tags: { example: 'sms' } });
let picker = fileUsers ? new UserPicker(fileUsers, { twoFactor: 'sms' }) : null;

export function setup() {
  return fileUsers ? {} : { users: createUsers(4, ['sms']) };
}

export default function (data) {
  if (!picker) picker = new UserPicker(data.users, { name: 'sms' });
  const r = c.signIn(picker, { method: 'sms' });
  check(r, { 'signed in with SMS': (x) => x.ok && x.flow === 'signin_sms' });
  if (r.ok) c.signOut(r.session);
}
