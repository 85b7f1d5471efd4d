// Smoke: every flow of the extension once against the target (the flows
// live in examples/smoke.js, which the end-to-end tests also run). Any
// failed flow or check fails the run: k6 exits 99.
import { summaryHandler } from './lib/summary.js';

export { options, setup, default } from '../examples/smoke.js';
export const handleSummary = summaryHandler('smoke');
