// Users for the scenarios: a user file (AUTHFLOW_USERS, written by
// `authflow serve --users N --users-file F`) opened once per test run, or
// fresh accounts made through the test hooks in setup().
//
// Distributed runs (k6-operator, or `k6 run --execution-segment`) run
// setup() in every instance and load the same file everywhere; openUsers()
// keeps only this instance's slice of the file, chosen in Go by the
// execution segment on k6's command line, once per instance: two instances
// never sign in, lock out or replay the TOTP codes of the same user.
import exec from 'k6/execution';
import { Hooks, UserPicker, openUsers } from 'k6/x/authflow';
import { config } from './config.js';

export const fileUsers = config.usersFile ? openUsers(config.usersFile) : null;
export const hooks = new Hooks(config.hooksURL);

const pickers = {};

// picker returns this VU's handle on the shared picker of users of one 2FA
// kind ('none', 'google', 'sms', 'both', 'any'). Users come from the file
// (the instance's one shared copy: the picker's state is built once per
// instance and name, and a VU's handle costs nothing), or from setup data
// (data.users) made through hooks.
export function picker(kind, data, opts) {
  const key = kind + ((opts && opts.name) || '');
  if (!pickers[key]) {
    const users = fileUsers || data.users;
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
