// Users for the scenarios: a user file (AUTHFLOW_USERS, written by
// `authflow serve --users N --users-file F`) opened once per test run, or
// fresh accounts made through the test hooks in setup().
//
// Distributed runs (k6-operator, or `k6 run --execution-segment`) run
// setup() in every instance and load the same file everywhere, so each
// instance keeps only its own slice of the file, chosen by its execution
// segment: two instances never sign in, lock out or replay the TOTP codes of
// the same user.
import exec from 'k6/execution';
import { Hooks, UserPicker, openUsers } from 'k6/x/authflow';
import { config } from './config.js';

export const fileUsers = config.usersFile ? openUsers(config.usersFile) : null;
export const hooks = new Hooks(config.hooksURL);

// fraction parses one end of an execution segment: "1/3", "0.5", "50%".
function fraction(s) {
  s = String(s).trim();
  if (s.endsWith('%')) return Number(s.slice(0, -1)) / 100;
  if (s.indexOf('/') >= 0) {
    const [n, d] = s.split('/').map(Number);
    return n / d;
  }
  return Number(s);
}

// segment returns [from, to) of this instance's execution segment; [0, 1)
// when the test is not split. Only callable in VU code (k6 refuses test
// options in the init context).
export function segment() {
  const seg = exec.test.options.executionSegment;
  if (!seg) return [0, 1];
  const [from, to] = String(seg).split(':');
  return [fraction(from), fraction(to)];
}

// slice keeps this instance's share of users.
export function slice(users) {
  const [from, to] = segment();
  return users.slice(Math.floor(from * users.length), Math.floor(to * users.length));
}

const pickers = {};

// picker returns this VU's handle on the shared picker of users of one 2FA
// kind ('none', 'google', 'sms', 'both', 'any'), built on first use. Users
// come from the file, or from setup data (data.users) made through hooks.
export function picker(kind, data, opts) {
  const key = kind + ((opts && opts.name) || '');
  if (!pickers[key]) {
    const users = fileUsers ? slice(fileUsers) : data.users;
    pickers[key] = new UserPicker(users, Object.assign({ name: `scenario-${key}`, twoFactor: kind, rate: config.rate }, opts || {}));
  }
  return pickers[key];
}

// ownAccount returns the account of this VU from setup data made with
// setupAccounts: flows that change a password or 2FA settings need an
// account no other VU touches.
export function ownAccount(data) {
  return data.accounts[(exec.vu.idInInstance - 1) % data.accounts.length];
}

// setupAccounts makes one account per VU (the instance's VUs) through the hooks.
export function setupAccounts(n, twoFactor) {
  return { accounts: hooks.createClients(n, { twoFactor: twoFactor || [] }) };
}

// totpUsersFor returns how many TOTP users a rate needs: a user completes at
// most one TOTP sign-in per 30-second step.
export const totpUsersFor = (rate) => Math.ceil(rate * 30 * 1.5) + 10;
