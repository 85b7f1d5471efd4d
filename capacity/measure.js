// The capacity search's wrapper around a scenario (written next to each
// search's runs with SCENARIO replaced by the scenario's path). It runs the
// scenario's own exec functions unchanged and tags every sample with
// authflow_phase: "warmup" for iterations started in the first
// AUTHFLOW_CAPACITY_WARMUP_MS of a scenario, "measured" after. Only the
// measured samples are read: VU start-up, first iterations and whatever the
// harness does once are never part of a measured window. Every VU of an
// arrival-rate scenario is allocated before the test starts, so no VU is
// initialised while the rate is being measured. The scenario's own
// thresholds are replaced by the ones below, which only make k6 keep the
// measured submetrics in the end-of-test summary.
import exec from 'k6/execution';
import * as scenario from 'SCENARIO';

const warmupMs = Number(__ENV.AUTHFLOW_CAPACITY_WARMUP_MS || 0);
const flow = __ENV.AUTHFLOW_CAPACITY_FLOW || '';
const summaryPath = __ENV.AUTHFLOW_CAPACITY_SUMMARY || 'capacity.summary.json';

const original = scenario.options || {};
const execOf = {};
const scenarios = {};
for (const [name, sc] of Object.entries(original.scenarios || {})) {
  execOf[name] = sc.exec || 'default';
  const copy = Object.assign({}, sc, { exec: 'authflowCapacityExec' });
  if (copy.maxVUs) copy.preAllocatedVUs = copy.maxVUs;
  scenarios[name] = copy;
}

const phase = '{authflow_phase:measured}';
const thresholds = {
  [`iterations${phase}`]: ['count>=0'],
  [`dropped_iterations`]: ['count>=0'],
  [`authflow_flow_duration{authflow_phase:measured,flow:${flow}}`]: ['p(95)>=0'],
  [`authflow_flow_failed{authflow_phase:measured,flow:${flow}}`]: ['rate>=0'],
};

export const options = Object.assign({}, original, { thresholds });
if (original.scenarios) options.scenarios = scenarios;

function tagged(fn, data) {
  const started = exec.scenario.startTime;
  exec.vu.metrics.tags.authflow_phase = Date.now() - started >= warmupMs ? 'measured' : 'warmup';
  return fn(data);
}

export function authflowCapacityExec(data) {
  return tagged(scenario[execOf[exec.scenario.name]], data);
}

export default function (data) {
  return tagged(scenario.default, data);
}

export function setup() {
  return scenario.setup ? scenario.setup() : undefined;
}

export function teardown(data) {
  if (scenario.teardown) scenario.teardown(data);
}

// handleSummary writes k6's end-of-test metrics only: never setup data.
export function handleSummary(data) {
  return { [summaryPath]: JSON.stringify({ state: data.state, metrics: data.metrics }) };
}
