// Sign-in with Google Authenticator (TOTP). A user can complete a TOTP
// sign-in only once per 30-second step (the server refuses a replayed
// code), so the UserPicker hands each iteration a user who has not used
// this step's code yet, across every VU, and warns once if the pool is too
// small for the declared rate (≈ 30 × sign-ins per second, plus margin).
// Runs back to back over one user file within 30 s may still meet a code
// the last run used (the picker starts at a random user to make it rare).
import { check } from 'k6';
import { UserPicker } from 'k6/x/authflow';
import { client, createUsers, fileUsers, baseThresholds } from './lib/env.js';

const RATE = Number(__ENV.AUTHFLOW_RATE || 0.3); // TOTP sign-ins per second the test aims at

export const options = {
  vus: 3,
  iterations: 12,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:signin_totp}': ['p(95)<500'],
    'authflow_step_duration{step:2fa_google}': ['p(95)<250'],
    'authflow_flows{flow:signin_totp,outcome:success}': ['count>=12'],
    authflow_otp_rejected: ['count==0'],
  }),
};

const c = client({ tags: { example: 'totp' } });
let picker = fileUsers ? new UserPicker(fileUsers, { twoFactor: 'google', rate: RATE }) : null;

export function setup() {
  return fileUsers ? {} : { users: createUsers(12, ['google']) };
}

export default function (data) {
  if (!picker) picker = new UserPicker(data.users, { name: 'totp', rate: RATE });
  const r = c.signIn(picker, { method: 'google' });
  check(r, { 'signed in with TOTP': (x) => x.ok && x.flow === 'signin_totp' });
}
