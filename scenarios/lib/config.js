// Shared configuration of the authflow scenarios: every knob comes from an
// environment variable (k6 run -e NAME=value, or the environment), with a
// default that works against the reference server started by `make run`.

const env = (name, def) => {
  const v = __ENV[name];
  return v === undefined || v === '' ? def : v;
};

const num = (name, def) => {
  const v = env(name, undefined);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`${name} must be a non-negative number, got "${v}"`);
  }
  return n;
};

const baseURL = env('AUTHFLOW_BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');

export const config = {
  baseURL,
  hooksURL: env('AUTHFLOW_HOOKS_URL', `${baseURL}/__hooks`),
  // A user file written by `authflow serve --users N --users-file F`; empty
  // means scenarios create their own accounts through the test hooks.
  usersFile: env('AUTHFLOW_USERS', ''),
  rate: num('AUTHFLOW_RATE', 5), // flows (iterations) per second, open model
  duration: env('AUTHFLOW_DURATION', '20s'),
  vus: num('AUTHFLOW_VUS', 5), // closed-model scenarios
  maxVUs: num('AUTHFLOW_MAX_VUS', 50), // open-model VU ceiling
  p95: num('AUTHFLOW_P95_MS', 500), // SLA: p95 of a flow, ms
  stepP95: num('AUTHFLOW_STEP_P95_MS', 250), // SLA: p95 of a step, ms
  errorRate: num('AUTHFLOW_ERROR_RATE', 0.01), // SLA: failed flows share
  out: env('AUTHFLOW_OUT', 'out'), // where handleSummary writes its JSON
  summaryFile: env('AUTHFLOW_SUMMARY', ''), // explicit summary path (capacity search)
  timeout: env('AUTHFLOW_TIMEOUT', '10s'),
};

// clientOptions are the options of every Client the scenarios make.
export function clientOptions(extra) {
  return Object.assign(
    {
      baseURL: config.baseURL,
      timeout: config.timeout,
      codes: { source: 'hooks', hooksURL: config.hooksURL },
    },
    extra || {},
  );
}

// seconds parses a k6 duration ("90s", "2m", "1h30m", "500ms") into seconds.
export function seconds(d) {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m;
  let seen = '';
  while ((m = re.exec(d)) !== null) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    seen += m[0];
  }
  if (seen !== String(d)) throw new Error(`not a duration: "${d}" (use e.g. 30s, 2m, 1h)`);
  return total;
}

// rampStages ramps an arrival rate up to `rate` over a fifth of the
// duration, holds it, and ramps down over the last fifth.
export function rampStages(rate, duration) {
  const total = seconds(duration);
  const ramp = `${Math.max(1, Math.round(total / 5))}s`;
  const hold = `${Math.max(1, Math.round(total - 2 * Math.round(total / 5)))}s`;
  return [
    { target: rate, duration: ramp },
    { target: rate, duration: hold },
    { target: 0, duration: ramp },
  ];
}

// openModel is a constant-arrival-rate scenario of `rate` iterations a
// second for the configured duration.
export function openModel(exec, rate, extra) {
  return Object.assign({
    executor: 'constant-arrival-rate',
    exec,
    rate: Math.max(1, Math.round(rate)),
    timeUnit: '1s',
    duration: config.duration,
    preAllocatedVUs: Math.min(config.maxVUs, Math.max(2, Math.ceil(rate))),
    maxVUs: config.maxVUs,
  }, extra || {});
}
