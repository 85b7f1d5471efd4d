// Smoke: every flow of the extension once against the target, with accounts
// made through the test hooks. Any failed flow or check fails the run (k6
// exits 99); so does a run in which no flow ran at all, or whose iteration
// threw before it reached the end.
import { check, fail } from 'k6';
import { Client, totp } from 'k6/x/authflow';
import { clientOptions } from './lib/config.js';
import { guard } from './lib/thresholds.js';
import { hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: {
    authflow_flow_failed: ['rate==0'],
    authflow_flows: ['count>0'],
    authflow_iteration_errors: ['count==0'],
    checks: ['rate==1'],
  },
};

export function setup() {
  return {
    plain: hooks.createClient({ twoFactor: [] }),
    google: hooks.createClient({ twoFactor: ['google'] }),
    sms: hooks.createClient({ twoFactor: ['sms'] }),
    both: hooks.createClient({ twoFactor: ['google', 'sms'] }),
    reset: hooks.createClient({ twoFactor: [], resetRequired: true }),
    capillary: hooks.createClient({ twoFactor: [] }),
  };
}

function ok(name, r) {
  if (!check(r, { [name]: (x) => x.ok })) console.error(`${name}: ${r.flow}/${r.step}: ${r.outcome} ${r.status} ${r.reason}`);
  return r;
}

// signIns signs every kind of account in and returns three sessions.
function signIns(c, data) {
  const p = ok('signin (no 2FA)', c.signIn(data.plain)).session;
  const g = ok('signin (TOTP)', c.signIn(data.google)).session;
  const s = ok('signin (SMS)', c.signIn(data.sms)).session;
  ok('signin (both, SMS chosen)', c.signIn(data.both, { method: 'sms' }));
  ok('signin (reset required)', c.signIn(data.reset, { newPassword: 'Smoke-reset-1!' }));
  if (!p || !g || !s) fail('sign-in failed; see above');
  return { p, s };
}

// manage2FA enables and disables each method on the session p.
function manage2FA(c, p, email) {
  const en = ok('enable google', c.enableGoogle(p));
  check(en, { 'the new secret makes codes': (r) => typeof r.secret === 'string' && totp(r.secret).length === 6 });
  ok('disable google', c.disable2FA(p, 'google', { email, totpSecret: en.secret }));
  ok('enable sms', c.enableSMS(p, '+15550100002'));
  ok('disable sms', c.disable2FA(p, 'sms', { email, phone: '+15550100002' }));
}

// stepByStep takes a TOTP sign-in apart, one step at a time.
function stepByStep(c, user) {
  const wz = ok('step: wizard', c.steps.signInWizard());
  const si = ok('step: signin', c.steps.signIn(wz.uuid, user.email, user.password));
  const c2 = ok('step: choose 2FA', c.steps.choose2FA(si.uuid, 'google'));
  ok('step: submit code', c.steps.submitCode(c2.uuid, 'google', totp(user.totpSecret, Date.now() / 1000 + 30)));
}

export default guard('smoke', (data) => {
  const c = new Client(clientOptions({ tags: { scenario_kind: 'smoke' } }));
  const cap = new Client(clientOptions({ profile: 'capillary' }));
  const { p, s } = signIns(c, data);

  ok('refresh', c.refresh(p));
  const ch = ok('challenge (signed in)', c.challenge(p, data.plain.email));
  check(ch, { 'challenge gives a success token': (r) => typeof r.token === 'string' && r.token.length > 0 });
  ok('challenge (signed out)', c.challenge(null, data.plain.email));
  ok('change password', c.changePassword(p, data.plain.email, 'Smoke-change-1!'));
  ok('restore password', c.restorePassword(data.plain.email, 'Smoke-restore-1!'));
  manage2FA(c, p, data.plain.email);

  ok('qr sign-in', c.qrSignIn(s));
  ok('2fa history', c.tfaChanges(p, { limit: 10, sortOrder: 'desc', provider: 'google' }));
  ok('password history', c.passwordChanges(p, { limit: 10 }));
  stepByStep(c, data.google);

  ok('capillary password change', cap.capillaryChangePassword({
    identifierType: 'EMAIL', identifierValue: data.capillary.email, deviceId: 'smoke-device',
    brand: 'authflow', password: data.capillary.password, newPassword: 'Smoke-capillary-1!',
  }));
  ok('signout', c.signOut(p));
  // A step expected to be refused: not a failed flow, not http_req_failed.
  // CONTRACT.md says only that a revoked refresh token is rejected: a 4xx.
  check(c.steps.refresh(p, { expectedStatuses: [{ min: 400, max: 499 }] }), {
    'a signed-out session cannot refresh': (r) => !r.ok && r.outcome === 'rejected' && r.status >= 400 && r.status < 500,
  });
});

export const handleSummary = summaryHandler('smoke');
