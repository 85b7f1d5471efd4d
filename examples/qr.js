// QR-code sign-in: a mobile app already signed in authorizes the channel
// the Sign In page shows, and the page gets its own session.
import { check } from 'k6';
import { client, createUsers, baseThresholds } from './lib/env.js';

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: Object.assign({}, baseThresholds, {
    'authflow_flow_duration{flow:qr_signin}': ['p(95)<500'],
    'authflow_flows{flow:qr_signin,outcome:success}': ['count>=6'],
  }),
};

const c = client({ tags: { example: 'qr' } });
let mobile = null; // this VU's signed-in "mobile app" session

export function setup() {
  return { users: createUsers(options.vus) };
}

export default function (data) {
  if (!mobile) {
    const s = c.signIn(data.users[(__VU - 1) % data.users.length]);
    if (!check(s, { 'mobile app signed in': (r) => r.ok })) return;
    mobile = s.session;
  }
  const r = c.qrSignIn(mobile);
  check(r, { 'signed in by QR code': (x) => x.ok && x.session.clientId > 0 });
  if (r.ok) c.signOut(r.session);

  // The same thing step by step.
  const ch = c.steps.qrChannel();
  const auth = c.steps.qrAuthorize(mobile, ch.channelId);
  const page = c.steps.qrSignIn(auth.authorizationToken);
  check(page, { 'QR steps give a session': (x) => x.ok && x.session.accessToken.length > 0 });
}
