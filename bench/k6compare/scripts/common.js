// Settings shared by the two k6 variants of the comparison (ext.js, plain.js),
// all from the environment bench/k6compare sets:
//
//   BENCH_BASE_URL      the reference server (http://host:port)
//   BENCH_USERS         this run's users (JSON array, `authflow serve --users-file`)
//   BENCH_MODE          shared (shared-iterations) or pervu (per-vu-iterations)
//   BENCH_VUS           VUs
//   BENCH_ITERS         iterations in all (shared) or per VU (pervu)
//   BENCH_MAX_DURATION  the scenario's maxDuration: the fixed-duration runs
//                       stop starting iterations then (default 10m)
//
// Iteration i (exec.scenario.iterationInTest) signs in user i of the file, so
// every flow has its own user and TOTP replay protection never refuses a code.
export const BASE_URL = (__ENV.BENCH_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const USERS_FILE = __ENV.BENCH_USERS;
export const USER_AGENT = 'authflow-bench/1.0';

export function benchOptions(thresholds) {
  const vus = Number(__ENV.BENCH_VUS || 10);
  const iterations = Number(__ENV.BENCH_ITERS || 1);
  const maxDuration = __ENV.BENCH_MAX_DURATION || '10m';
  const executor = __ENV.BENCH_MODE === 'pervu' ? 'per-vu-iterations' : 'shared-iterations';
  return {
    scenarios: { bench: { executor, vus, iterations, maxDuration, gracefulStop: '30s' } },
    userAgent: USER_AGENT,
    summaryTrendStats: ['avg', 'med', 'p(95)', 'max'],
    // Submetrics only reach the summary export through a threshold; these
    // always pass: bench/k6compare judges the run from the counts.
    thresholds: Object.assign({ checks: ['rate>=0'], http_req_failed: ['rate>=0'] }, thresholds || {}),
  };
}
