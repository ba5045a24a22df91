// Fault injection: scripted faults (next N / always), a token-bucket rate limit and seeded random
// faults. decide() is asked once per routed request and says which fault, if any, that request gets.
import { ERROR_STATUS, type ErrorType } from './errors';

export type FaultKind = 'throttle' | 'internal' | 'unavailable' | 'drop' | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'internal', 'unavailable', 'drop', 'slow'];
export const DEFAULT_SLOW_DELAY_MS = 2000;

/** An error answered on demand, for the errors no fault kind or state produces (PreconditionNotMetException). */
export interface InjectedError {
  readonly type: ErrorType;
  readonly message: string;
}

export interface Fault {
  /** 'error': answer `error` instead. */
  readonly kind: FaultKind | 'error';
  /** For 'slow': how long to wait before answering normally. */
  readonly delayMs: number;
  readonly error?: InjectedError;
}

interface ScriptedFault extends Fault {
  readonly operation?: string;
  remaining: number;
}

interface TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  tokens: number;
  refilledAt: number;
}

interface RandomFaults {
  readonly next: () => number;
  readonly rates: Partial<Record<FaultKind, number>>;
  readonly delayMs: number;
}

export interface FaultControls {
  /** The next `count` (default 1) requests, of `operation` if given, fail this way. */
  next(kind: FaultKind, options?: { count?: number; operation?: string; delayMs?: number }): void;
  /** Every request, of `operation` if given, fails this way until clear(). */
  always(kind: FaultKind, options?: { operation?: string; delayMs?: number }): void;
  /** A token bucket (burst defaults to max(1, ratePerSecond)); a request with no token gets 'throttle'. */
  throttle(options: { ratePerSecond: number; burst?: number }): void;
  /** Each request independently gets a fault with the given probabilities (a seeded PRNG: deterministic). */
  random(options: { seed: number; rates: Partial<Record<FaultKind, number>>; delayMs?: number }): void;
  /** The next `count` (default 1) requests, of `operation` if given, answer this error (any name of ERROR_STATUS). */
  error(type: ErrorType, options?: { count?: number; operation?: string; message?: string }): void;
  clear(): void;
}

export class FaultInjector implements FaultControls {
  private scripted: ScriptedFault[] = [];
  private bucket?: TokenBucket;
  private randomFaults?: RandomFaults;

  constructor(private readonly now: () => number = () => performance.now()) {}

  public next(kind: FaultKind, options: { count?: number; operation?: string; delayMs?: number } = {}): void {
    const count = checkCount(options.count ?? 1);
    this.scripted.push({ kind: checkKind(kind), operation: options.operation, delayMs: options.delayMs ?? DEFAULT_SLOW_DELAY_MS, remaining: count });
  }

  public always(kind: FaultKind, options: { operation?: string; delayMs?: number } = {}): void {
    this.scripted.push({ kind: checkKind(kind), operation: options.operation, delayMs: options.delayMs ?? DEFAULT_SLOW_DELAY_MS, remaining: Infinity });
  }

  public error(type: ErrorType, options: { count?: number; operation?: string; message?: string } = {}): void {
    if (!(type in ERROR_STATUS)) throw new Error(`faults.error: unknown error '${type}': use one of ${Object.keys(ERROR_STATUS).join(', ')}`);
    const error = { type, message: options.message ?? `Injected ${type}` };
    this.scripted.push({ kind: 'error', error, operation: options.operation, delayMs: 0, remaining: checkCount(options.count ?? 1) });
  }

  public throttle(options: { ratePerSecond: number; burst?: number }): void {
    if (!(options.ratePerSecond > 0)) throw new Error(`faults.throttle: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    const burst = options.burst ?? Math.max(1, options.ratePerSecond);
    this.bucket = { ratePerSecond: options.ratePerSecond, burst, tokens: burst, refilledAt: this.now() };
  }

  public random(options: { seed: number; rates: Partial<Record<FaultKind, number>>; delayMs?: number }): void {
    const total = Object.values(options.rates).reduce((sum, rate) => sum + (rate ?? 0), 0);
    if (total > 1) throw new Error(`faults.random: the rates add up to ${total}, more than 1`);
    Object.keys(options.rates).forEach((kind) => checkKind(kind as FaultKind));
    this.randomFaults = { next: mulberry32(options.seed), rates: options.rates, delayMs: options.delayMs ?? DEFAULT_SLOW_DELAY_MS };
  }

  public clear(): void {
    this.scripted = [];
    this.bucket = undefined;
    this.randomFaults = undefined;
  }

  /**
   * The fault for one request of `operation`, if any. Precedence: scripted faults (in the order they
   * were set), then the rate limit, then the random draw. The random PRNG advances on every request,
   * so its sequence depends only on the number of requests, not on the other faults.
   */
  public decide(operation: string): Fault | undefined {
    const draw = this.randomFaults ? this.drawRandom(this.randomFaults) : undefined;
    const scripted = this.scripted.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === operation));
    if (scripted) {
      scripted.remaining -= 1;
      this.scripted = this.scripted.filter((f) => f.remaining > 0);
      return { kind: scripted.kind, delayMs: scripted.delayMs, error: scripted.error };
    }
    if (this.bucket && !this.takeToken(this.bucket)) return { kind: 'throttle', delayMs: 0 };
    return draw;
  }

  private takeToken(bucket: TokenBucket): boolean {
    const now = this.now();
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.ratePerSecond);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private drawRandom(random: RandomFaults): Fault | undefined {
    const r = random.next();
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += random.rates[kind] ?? 0;
      if (r < cumulative) return { kind, delayMs: random.delayMs };
    }
    return undefined;
  }
}

function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`faults: count must be a positive integer, got ${count}`);
  return count;
}

function checkKind(kind: FaultKind): FaultKind {
  if (!FAULT_KINDS.includes(kind)) throw new Error(`Unknown fault kind '${kind}': use one of ${FAULT_KINDS.join(', ')}`);
  return kind;
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
