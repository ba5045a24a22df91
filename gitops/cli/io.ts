// What a command of the CLI writes to and reads from: results on stdout, progress and warnings on
// stderr, relative paths from `cwd`. The entry (main.ts) passes the process's; tests pass their own.
import { formatCount } from '../read';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where relative paths start. */
  readonly cwd: string;
  /** Whether stderr is a terminal: progress shows there unless --no-progress. @default false */
  readonly stderrIsTTY?: boolean;
  /** The clock (the date in an export's header). @default - now */
  readonly now?: () => Date;
}

/** The exit codes, stable: CI jobs gate on them. */
export const EXIT = {
  /** Success: the command did its work; plan: no changes (or no gate asked); drift: no drift. */
  OK: 0,
  /** The command could not do its work: usage, an invalid file, git, AWS. */
  ERROR: 1,
  /** plan --detailed-exitcode: there are changes; drift: there is drift. */
  CHANGES: 2,
  /** plan --fail-on-destructive: a change deletes or replaces a user, deletes a group, or the deployment would refuse it. */
  DESTRUCTIVE: 3,
} as const;

/** What a failure says: a message for stderr, and no stack trace (the message says where and what). */
export class CliError extends Error {}

export interface ReadProgressEvent {
  /** Users listed (`total` still growing), the members of the groups read, or the users' tags read. */
  readonly phase: 'list' | 'groups' | 'tags';
  readonly done: number;
  readonly total: number;
}

/**
 * Progress of a read on stderr: on a terminal, one line rewritten in place (at most every 100 ms);
 * elsewhere (--progress in a CI log), a line at most every second, and the last one (the users'
 * tags are read last).
 */
export function progressReporter(io: CliIo, enabled: boolean): { update: (event: ReadProgressEvent) => void; end: () => void } | undefined {
  if (!enabled) return undefined;
  const tty = io.stderrIsTTY === true;
  let last = 0;
  let shown = false;
  let pending: string | undefined;
  const show = (text: string) => {
    io.stderr(tty ? `\r${text}\x1b[K` : `${text}\n`);
    shown = true;
    pending = undefined;
  };
  return {
    update: (event) => {
      const text = event.phase === 'list' ? `listed ${formatCount(event.done)} users`
        : event.phase === 'groups' ? `read the members of ${formatCount(event.done)} of ${formatCount(event.total)} groups`
          : `read ${formatCount(event.done)} of ${formatCount(event.total)} users`;
      const final = event.phase === 'tags' && event.done === event.total;
      const now = Date.now();
      if (!final && now - last < (tty ? 100 : 1000)) {
        pending = text;
        return;
      }
      last = now;
      show(text);
    },
    end: () => {
      if (pending !== undefined) show(pending);
      if (shown && tty) io.stderr('\n');
    },
  };
}
