// The retry policy of every AWS call the handler makes (QuickSight, and CloudFormation's
// DescribeStacks): the SDK's standard strategy, configured. The whole event is also bounded by a
// deadline (see index.ts), so the handler answers before its Lambda timeout however long AWS
// misbehaves.
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';

/**
 * Retries: throttling, 5xx, timeouts and dropped connections, with full-jitter exponential backoff.
 */
export const RETRY_POLICY = {
  // Enough to outlast the queue when a whole stack's users are created at once against a throttled
  // API (492 users at 10 requests/s: about 49 s; 40 attempts retry for about 90 s): BENCHMARKS.md.
  maxAttempts: 40,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
};

export class HandlerRetryStrategy extends ConfiguredRetryStrategy {
  /** The last error that was retried: reported when the deadline cuts the retries short. */
  public lastRetriedError?: unknown;

  constructor() {
    super(RETRY_POLICY.maxAttempts, (attempt: number) =>
      Math.floor(Math.random() * Math.min(RETRY_POLICY.maxDelayMs, RETRY_POLICY.baseDelayMs * 2 ** attempt)));
  }

  public async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    // The SDK classes LimitExceededException as throttling, but for QuickSight it is a hard account
    // limit (users, tags): retrying only delays the failure.
    if ((errorInfo.error as { name?: string } | undefined)?.name === 'LimitExceededException') {
      throw new Error('LimitExceededException is not retried');
    }
    this.lastRetriedError = errorInfo.error;
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

/** The client options every handler client takes: the retry strategy and the socket timeouts. */
export function clientOptions(region: string, retryStrategy: HandlerRetryStrategy) {
  return {
    region,
    retryStrategy,
    requestHandler: {
      connectionTimeout: RETRY_POLICY.connectionTimeoutMs,
      requestTimeout: RETRY_POLICY.requestTimeoutMs,
    },
  };
}
