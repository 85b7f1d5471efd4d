// Sign-in without 2FA: wizard → signin → tokens, then sign-out. Users come
// from AUTHFLOW_USERS (those without 2FA) or are created in setup(); a
// UserPicker shared by all VUs hands each iteration a user who can sign in
// now and sets locked-out users aside.
import { check } from 'k6';
import { UserPicker } from 'k6/x/authflow';
import { client, createUsers, fileUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 10,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:signin}': ['p(95)<500'],
    'authflow_flows{flow:signin,outcome:success}': ['count>=10'],
    'http_req_failed{flow:signin}': ['rate==0'],
  }),
};

const c = client({ onLockout: 'skip', tags: { example: 'signin' } });
let picker = fileUsers ? new UserPicker(fileUsers, { twoFactor: 'none' }) : null;

export function setup() {
  return fileUsers ? {} : { users: createUsers(5) };
}

export default function (data) {
  if (!picker) picker = new UserPicker(data.users, { name: 'signin' });
  const r = c.signIn(picker);
  check(r, { 'signed in': (x) => x.ok && x.flow === 'signin' });
  if (r.ok) check(c.signOut(r.session), { 'signed out': (x) => x.ok });
}
