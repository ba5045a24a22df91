// The reliability figures the tests measure. `npm run reliability` (scripts/reliability-report.js)
// runs the tests with RELIABILITY_FIGURES_DIR set and prints what they wrote there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EventRecord } from '../cfn-simulator';

/** Writes one test file's figures when the report asked for them; a no-op otherwise. */
export function writeFigures(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.RELIABILITY_FIGURES_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** Events by request type and answer: { 'Create SUCCESS': 12, ... }. */
export function countEvents(events: readonly EventRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.requestType} ${e.status}${e.answeredBy === 'framework' ? ' (framework)' : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
