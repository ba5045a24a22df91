// The local QuickSight emulator the benchmarks run the handlers against, and the environment that
// points the AWS SDK at it (the SDK's standard AWS_ENDPOINT_URL_QUICKSIGHT, fake credentials).
import { QuickSightEmulator } from '../test/emulator/quicksight-emulator';
import { IDENTITY_REGION } from './ways';

export { QuickSightEmulator };

export function sdkEnvironment(emulator: QuickSightEmulator): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_QUICKSIGHT: emulator.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    AWS_REGION: IDENTITY_REGION,
  };
}

/** Runs `body` with an emulator, the SDK of this process pointed at it; stops it afterwards. */
export async function withEmulator<T>(body: (emulator: QuickSightEmulator) => Promise<T>): Promise<T> {
  const emulator = await QuickSightEmulator.start({ identityRegion: IDENTITY_REGION, seed: 5 });
  const saved = { ...process.env };
  Object.assign(process.env, sdkEnvironment(emulator));
  delete process.env.AWS_PROFILE;
  try {
    return await body(emulator);
  } finally {
    process.env = saved;
    await emulator.stop();
  }
}
