// A weighted, realistic mix of every flow at AUTHFLOW_RATE iterations per
// second: mostly sign-ins (no 2FA, TOTP, SMS) and authenticated reads on
// pooled sessions, some refreshes, QR sign-ins and 2FA challenges. The
// weights below are the mix; change them to your traffic's. Flows are
// interleaved by iteration number (smooth weighted round robin), so every
// flow runs within the first few iterations and any stretch of the run has
// the mix; each user picker is told its own flows' share of the rate.
import { check } from 'k6';
import exec from 'k6/execution';
import { Client, SessionPool } from 'k6/x/authflow';
import { config, clientOptions, openModel } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks, totpUsersFor } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

const weights = [
  ['signin', 35],
  ['signin_totp', 20],
  ['signin_sms', 5],
  ['reads', 20],
  ['refresh', 10],
  ['qr', 5],
  ['challenge', 5],
];
const totalWeight = weights.reduce((n, [, w]) => n + w, 0);
const share = (name) => weights.find(([n]) => n === name)[1] / totalWeight;
// Pool sessions refresh at most 4 times a minute each (the limit is 5).
const poolSize = Math.ceil((config.rate * (share('refresh') + share('qr')) * 60) / 4) + 2;

export const options = {
  scenarios: { mix: openModel('mix', config.rate) },
  thresholds: thresholds(
    ['signin', 'signin_totp', 'signin_sms', 'refresh', 'tfa_changes', 'password_changes', 'qr_signin', 'challenge'],
    ['signin_wizard', 'signin', '2fa_google', '2fa_sms', 'refresh', 'qr_signin'],
  ),
};

const client = new Client(clientOptions());
let pool = null;

export function setup() {
  if (fileUsers) return {};
  // Enough users for ten seconds of each flow's share of the rate.
  const n = (s) => Math.ceil(config.rate * s * 10) + 5;
  return {
    users: []
      .concat(hooks.createClients(n(share('signin') + share('challenge')) + poolSize, { twoFactor: [] }))
      .concat(hooks.createClients(totpUsersFor(config.rate * share('signin_totp')), { twoFactor: ['google'] }))
      .concat(hooks.createClients(n(share('signin_sms')), { twoFactor: ['sms'] })),
  };
}

// schedule is one round of totalWeight flow names, smooth weighted round
// robin: each name as often as its weight, spread out.
const schedule = (() => {
  const current = weights.map(() => 0);
  const out = [];
  for (let i = 0; i < totalWeight; i++) {
    let best = 0;
    weights.forEach(([, w], k) => {
      current[k] += w;
      if (current[k] > current[best]) best = k;
    });
    current[best] -= totalWeight;
    out.push(weights[best][0]);
  }
  return out;
})();

const pick = () => schedule[exec.scenario.iterationInTest % schedule.length];

// Each picker's rate is its flows' share of AUTHFLOW_RATE (the pool's
// picker signs in only to fill the pool, a few times a minute).
const rateOf = (...names) => config.rate * names.reduce((n, name) => n + share(name), 0);
const plainUsers = (data) => picker('none', data, { rate: rateOf('signin', 'challenge') });

export const mix = guard('mix', (data) => {
  if (!pool) {
    pool = new SessionPool(client, picker('none', data, { name: 'pool', rate: rateOf('reads', 'refresh', 'qr') }), { name: 'mix-pool', size: poolSize });
  }
  const flow = pick();
  switch (flow) {
    case 'signin': {
      const r = client.signIn(plainUsers(data));
      if (check(r, { 'signed in (no 2FA)': (x) => x.ok })) client.signOut(r.session);
      return;
    }
    case 'signin_totp':
      check(client.signIn(picker('google', data, { rate: rateOf('signin_totp') }), { method: 'google' }), { 'signed in (TOTP)': (x) => x.ok });
      return;
    case 'signin_sms':
      check(client.signIn(picker('sms', data, { rate: rateOf('signin_sms') }), { method: 'sms' }), { 'signed in (SMS)': (x) => x.ok });
      return;
    case 'challenge': {
      const p = plainUsers(data);
      const u = p.next();
      if (u) {
        check(client.challenge(null, u.email), { 'success token (signed out)': (x) => x.ok });
        p.release(u);
      }
      return;
    }
  }
  const s = pool.get();
  if (!check(s, { 'a pooled session': (x) => x !== null })) return;
  if (flow === 'reads') {
    check(client.tfaChanges(s, { limit: 10 }), { '2fa history': (x) => x.ok });
    check(client.passwordChanges(s, { limit: 10 }), { 'password history': (x) => x.ok });
  } else if (flow === 'refresh') {
    check(client.refresh(s), { 'refreshed': (x) => x.ok });
  } else {
    const r = client.qrSignIn(s);
    if (check(r, { 'signed in by QR code': (x) => x.ok })) client.signOut(r.session);
  }
  pool.release();
});

export const handleSummary = summaryHandler('mix');
