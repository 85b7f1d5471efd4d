// Spike: sign-ins (no 2FA) at AUTHFLOW_RATE per second, then a sudden jump
// to AUTHFLOW_SPIKE times that rate for a fifth of AUTHFLOW_DURATION, then
// back. The gate: the flow's p95 and failure rate over the whole run,
// spike included.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { config, clientOptions, seconds } from './lib/config.js';
import { thresholds, guard } from './lib/thresholds.js';
import { picker, fileUsers, hooks } from './lib/users.js';
import { summaryHandler } from './lib/summary.js';

const factor = Number(__ENV.AUTHFLOW_SPIKE || 5);
const fifth = `${Math.max(1, Math.round(seconds(config.duration) / 5))}s`;
const peak = Math.ceil(config.rate * factor);

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      exec: 'spike',
      startRate: Math.ceil(config.rate),
      timeUnit: '1s',
      stages: [
        { target: Math.ceil(config.rate), duration: fifth },
        { target: peak, duration: '1s' },
        { target: peak, duration: fifth },
        { target: Math.ceil(config.rate), duration: '1s' },
        { target: Math.ceil(config.rate), duration: fifth },
      ],
      preAllocatedVUs: Math.min(config.maxVUs, peak),
      maxVUs: config.maxVUs,
    },
  },
  thresholds: thresholds(['signin'], ['signin_wizard', 'signin']),
};

const client = new Client(clientOptions());

export function setup() {
  return fileUsers ? {} : { users: hooks.createClients(peak * 2 + 5, { twoFactor: [] }) };
}

export const spike = guard('spike', (data) => {
  check(client.signIn(picker('none', data)), { 'signed in': (r) => r.ok });
});

export const handleSummary = summaryHandler('spike');
