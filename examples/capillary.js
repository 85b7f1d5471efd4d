// Capillary MFA password change: validate the current password for a
// token, then change the password with it. Each VU owns one account and
// keeps its password.
import { check } from 'k6';
import { client, createUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:capillary_password_change}': ['p(95)<500'],
    'authflow_flows{flow:capillary_password_change,outcome:success}': ['count>=6'],
  }),
};

const cap = client({ profile: 'capillary', tags: { example: 'capillary' } });

export function setup() {
  return { users: createUsers(options.vus) };
}

export default function (data) {
  const me = data.users[(__VU - 1) % data.users.length];
  const next = `Cap-${__VU}-${__ITER}-${Date.now()}`;
  const r = cap.capillaryChangePassword({
    identifierType: 'EMAIL', identifierValue: me.email, deviceId: `device-${__VU}`,
    brand: 'authflow', password: me.password, newPassword: next,
  });
  if (check(r, { 'password changed': (x) => x.ok })) me.password = next;
}
