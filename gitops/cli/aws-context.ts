// Where `export` reads: the account (--account, else the caller's, from STS GetCallerIdentity)
// and the identity region (--identity-region, else the SDK's region: AWS_REGION, the profile),
// with the standard AWS credential chain.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { readClientOptions } from '../read';
import { CliError } from './io';

/** The region the SDK would use (AWS_REGION, AWS_DEFAULT_REGION, the profile's), if any. */
export async function sdkRegion(): Promise<string | undefined> {
  const fromEnv = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

/** The account of the credentials (STS GetCallerIdentity, which needs no permission). */
export async function callerAccount(region: string): Promise<string> {
  const client = new STSClient(readClientOptions(region));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new Error('GetCallerIdentity answered no account');
    return out.Account;
  } catch (error) {
    throw new CliError(`cannot tell the account from the credentials (STS GetCallerIdentity: ${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}); give --account`);
  } finally {
    client.destroy();
  }
}
