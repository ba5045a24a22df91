// What the emulator's own tests share: an emulator for the test file, the real SDK client pointed
// at it through AWS_ENDPOINT_URL_QUICKSIGHT (as the handler's is), and the helpers that read a
// failed call or send what the SDK cannot.
import { request as httpRequest } from 'node:http';
import { QuickSightClient } from '@aws-sdk/client-quicksight';
import { QuickSightEmulator, type EmulatorOptions } from './quicksight-emulator';

export interface SdkHarness {
  /** The test file's emulator (started before the tests, reset before each). */
  readonly emulator: () => QuickSightEmulator;
  /** A client configured through the environment, like the handler's; maxAttempts 1 unless told. Closed after each test. */
  readonly client: (options?: { region?: string; maxAttempts?: number; endpoint?: string }) => QuickSightClient;
  /** Closes `client` after the test, as `client()` does for its own (for a client built otherwise). */
  readonly closeAfterTest: (client: QuickSightClient) => QuickSightClient;
  /** Runs `body` against another emulator (another account, method or policy), with a client pointed at it. */
  readonly withEmulator: (options: EmulatorOptions, body: (other: QuickSightEmulator, qs: QuickSightClient) => Promise<void>) => Promise<void>;
  /** A raw HTTP exchange with an emulator (the test file's by default), for what the SDK cannot send. */
  readonly raw: (method: string, path: string, headers?: Record<string, string>, body?: string, endpoint?: string) => Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
}

/** Starts an emulator for the test file and points the SDK at it; the hooks are registered here. */
export function useSdkEmulator(region = 'us-east-1'): SdkHarness {
  let emulator: QuickSightEmulator | undefined;
  const clients: QuickSightClient[] = [];
  const savedEnv = { ...process.env };
  beforeAll(async () => {
    emulator = await QuickSightEmulator.start();
    process.env.AWS_ENDPOINT_URL_QUICKSIGHT = emulator.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
  });
  afterAll(async () => {
    await emulator?.stop();
    process.env = savedEnv;
  });
  beforeEach(() => emulator?.reset());
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });

  const client: SdkHarness['client'] = (options = {}) => {
    const c = new QuickSightClient({
      region: options.region ?? region,
      maxAttempts: options.maxAttempts ?? 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    clients.push(c);
    return c;
  };
  return {
    emulator: () => emulator!,
    client,
    closeAfterTest: (c) => {
      clients.push(c);
      return c;
    },
    withEmulator: async (options, body) => {
      const other = await QuickSightEmulator.start(options);
      try {
        await body(other, client({ endpoint: other.endpoint, region: other.identityRegion }));
      } finally {
        await other.stop();
      }
    },
    raw: (method, path, headers = {}, body, endpoint = emulator!.endpoint) => new Promise((resolve, reject) => {
      const req = httpRequest(`${endpoint}${path}`, { method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body);
    }),
  };
}

/** The error a call fails with (fails the test when the call succeeds). */
export async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Expects a call to fail with this service error, HTTP status and (if given) message; returns the error. */
export async function expectServiceError(promise: Promise<unknown>, name: string, status: number, message?: RegExp | string): Promise<any> {
  const error = await failure(promise);
  expect({ name: error.name, status: error.$metadata?.httpStatusCode }).toEqual({ name, status });
  if (message instanceof RegExp) expect(error.message).toMatch(message);
  else if (message !== undefined) expect(error.message).toBe(message);
  return error;
}
