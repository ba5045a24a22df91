// Runs a benchmark step in a fresh `node` process and reads its result: the last stdout line,
// which is JSON. Everything else the child prints (the handlers' own logs, SDK warnings) is kept
// out of the benchmark's output.
import { execFile } from 'node:child_process';

/** Node's own warnings (such as the SDK's notice about Node versions) stay out of the children's output. */
export const QUIET_NODE_ENV = { NODE_NO_WARNINGS: '1' };

export interface ChildResult<T> {
  readonly result: T;
  /** Wall time of the whole process, start-up included. */
  readonly wallMs: number;
}

/** Runs `node <args>`, with `input` on its stdin, and parses its last stdout line. */
export function runNode<T>(args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Promise<ChildResult<T>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { env: { ...process.env, ...QUIET_NODE_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const wallMs = performance.now() - started;
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (error) {
        reject(new Error(`node ${args.join(' ')} failed (${error.message.split('\n')[0]}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      try {
        resolve({ result: JSON.parse(last) as T, wallMs });
      } catch {
        reject(new Error(`node ${args.join(' ')} printed no JSON result line (last line: ${JSON.stringify(last.slice(0, 200))})`));
      }
    });
    child.stdin?.end(input);
  });
}
