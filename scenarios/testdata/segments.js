// A fixed amount of work (40 sign-ins by 4 VUs) for the execution-segment
// test: split across k6 processes with --execution-segment, the parts must
// add up to exactly what one process does.
import { check } from 'k6';
import { Client } from 'k6/x/authflow';
import { clientOptions } from '../lib/config.js';
import { thresholds } from '../lib/thresholds.js';
import { picker } from '../lib/users.js';
import { summaryHandler } from '../lib/summary.js';

export const options = {
  scenarios: { fixed: { executor: 'shared-iterations', exec: 'fixed', vus: 4, iterations: 40, maxDuration: '60s' } },
  thresholds: thresholds(['signin'], ['signin_wizard', 'signin']),
};

const client = new Client(clientOptions());

export function fixed(data) {
  check(client.signIn(picker('none', data)), { 'signed in': (r) => r.ok });
}

export const handleSummary = summaryHandler('segments');
