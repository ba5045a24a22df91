// The one table `npm run bench` prints: each row measured for both ways in the same run.

export interface Row {
  /** The benchmark section (1 to 5), as numbered in BENCHMARKS.md. */
  readonly section: number;
  readonly measure: string;
  readonly ours: string;
  readonly acr: string;
  /** ours / AwsCustomResource, or '—' where a ratio means nothing. */
  readonly ratio: string;
}

const HEADER = ['#', 'measure', 'QuickSightUser', 'AwsCustomResource', 'ratio'];

function cells(row: Row): string[] {
  return [String(row.section), row.measure, row.ours, row.acr, row.ratio];
}

export function formatText(rows: readonly Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

export function formatMarkdown(rows: readonly Row[]): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 0 || i === 1 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(escape).join(' | ')} |`),
  ].join('\n');
}

/** ours / theirs, to two digits. */
export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '—';
  return (ours / theirs).toFixed(2);
}

export function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
