// Opens the user file and prints how many users this instance holds, for
// the execution-segment test: with --execution-segment only the segment's
// slice is kept.
import { openUsers, UserPicker } from 'k6/x/authflow';

const users = openUsers(__ENV.AUTHFLOW_USERS);

// Two VUs, one iteration each: each half of a split test has one.
export const options = { scenarios: { held: { executor: 'per-vu-iterations', vus: 2, iterations: 1 } } };

export default function () {
  const p = new UserPicker(users, { name: 'segment-users' });
  console.log(`held users=${users.length} first=${users[0].id} picker=${p.size}`);
}
export function handleSummary() { return {}; }
