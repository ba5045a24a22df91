// IAM and STS, as far as `quicksight-users export` uses them: IAM ListRoles and ListUsers (the
// paths and unique ids of the identities behind IAM QuickSight users) and STS GetCallerIdentity
// (the account of the credentials). Both are the AWS query protocol (a form-encoded POST, an XML
// answer), like test/cfn-simulator/cloudformation-endpoint.ts; one server answers both, told apart
// by the service of the request's SigV4 credential scope. Point the real SDK clients at it with
// AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS.
//
// The unique id of an identity is what QuickSight's principal id of an IAM user carries:
// `federated/iam/<UserId>` for an IAM user (AIDA…), `federated/iam/<RoleId>:<session>` for a
// session of a role (AROA…); principalIdOf() spells it, for seeding the QuickSight emulator.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorXml, xml } from './query-xml';

export interface IamIdentitySeed {
  readonly name: string;
  /** @default '/' */
  readonly path?: string;
  /** @default - AIDA… or AROA… derived from the name */
  readonly uniqueId?: string;
}

export interface EmulatedIamIdentity {
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly path: string;
  readonly uniqueId: string;
  readonly arn: string;
}

export interface IamCall {
  readonly service: string;
  readonly action: string;
  readonly status: number;
}

type Action = 'ListRoles' | 'ListUsers' | 'GetCallerIdentity';

/** QuickSight's principal id of the QuickSight user registered for this IAM identity (and role session). */
export function principalIdOf(identity: EmulatedIamIdentity, sessionName?: string): string {
  return `federated/iam/${identity.uniqueId}${identity.kind === 'role' && sessionName ? `:${sessionName}` : ''}`;
}

export class IamEndpoint {
  public static async start(options: { accountId?: string; callerArn?: string } = {}): Promise<IamEndpoint> {
    const endpoint = new IamEndpoint(options.accountId ?? '123456789012', options.callerArn);
    await new Promise<void>((resolve, reject) => {
      endpoint.server.once('error', reject);
      endpoint.server.listen(0, '127.0.0.1', () => resolve());
    });
    return endpoint;
  }

  public readonly callerArn: string;
  private readonly server: Server;
  private identities: EmulatedIamIdentity[] = [];
  private denied = new Set<Action>();
  private callLog: IamCall[] = [];
  private requestCount = 0;
  private markers = new Map<string, number>();

  private constructor(public readonly accountId: string, callerArn?: string) {
    this.callerArn = callerArn ?? `arn:aws:sts::${accountId}:assumed-role/QuickSightAdmin/exporter`;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const service = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const requestId = `iam-${++this.requestCount}`;
        const answer = (status: number, body: string) => {
          this.callLog.push({ service, action: form.get('Action') ?? '', status });
          res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
          res.end(body);
        };
        const action = form.get('Action') as Action | null;
        const known = service === 'sts' ? action === 'GetCallerIdentity' : service === 'iam' && (action === 'ListRoles' || action === 'ListUsers');
        const namespace = service === 'sts' ? 'https://sts.amazonaws.com/doc/2011-06-15/' : 'https://iam.amazonaws.com/doc/2010-05-08/';
        if (!known || !action) return answer(400, errorXml(namespace, 'InvalidAction', `Could not find operation ${action} for service ${service}`, requestId));
        if (this.denied.has(action)) {
          const resource = action === 'ListRoles' ? `arn:aws:iam::${this.accountId}:role/` : action === 'ListUsers' ? `arn:aws:iam::${this.accountId}:user/` : '*';
          return answer(403, errorXml(namespace, 'AccessDenied', `User: ${this.callerArn} is not authorized to perform: ${service}:${action} on resource: ${resource} because no identity-based policy allows the ${service}:${action} action`, requestId));
        }
        if (action === 'GetCallerIdentity') return answer(200, callerIdentityXml(this.accountId, this.callerArn, requestId));
        const kind = action === 'ListRoles' ? 'role' : 'user';
        const all = this.identities.filter((i) => i.kind === kind);
        const marker = form.get('Marker');
        const start = marker === null ? 0 : this.markers.get(marker);
        if (start === undefined) return answer(400, errorXml(namespace, 'ValidationError', 'Invalid Marker', requestId));
        const maxItems = Number(form.get('MaxItems') ?? 100);
        const page = all.slice(start, start + maxItems);
        let next: string | undefined;
        if (start + maxItems < all.length) {
          next = `marker-${this.requestCount}`;
          this.markers.set(next, start + maxItems);
        }
        return answer(200, listXml(action, page, next, requestId));
      });
    });
  }

  /** http://127.0.0.1:<port> */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public addRole(seed: IamIdentitySeed): EmulatedIamIdentity {
    return this.add('role', seed);
  }

  public addUser(seed: IamIdentitySeed): EmulatedIamIdentity {
    return this.add('user', seed);
  }

  /** The identity is deleted from IAM (its QuickSight user, if any, is untouched: see QuickSightEmulator.orphanUser). */
  public remove(identity: EmulatedIamIdentity): void {
    this.identities = this.identities.filter((i) => i !== identity);
  }

  /** These actions answer AccessDenied (403) from now on, as IAM does for a caller without the grant. */
  public deny(...actions: Action[]): void {
    for (const action of actions) this.denied.add(action);
  }

  public get calls(): IamCall[] {
    return [...this.callLog];
  }

  /** Forgets the identities, the refusals and the call log. */
  public reset(): void {
    this.identities = [];
    this.denied.clear();
    this.callLog = [];
    this.markers.clear();
  }

  public async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private add(kind: 'user' | 'role', seed: IamIdentitySeed): EmulatedIamIdentity {
    const path = seed.path ?? '/';
    if (!/^\/(.*\/)?$/.test(path)) throw new Error(`IAM path '${path}' must start and end with /`);
    const uniqueId = seed.uniqueId ?? `${kind === 'role' ? 'AROA' : 'AIDA'}${createHash('sha256').update(`${kind}/${seed.name}/${this.identities.length}`).digest('hex').slice(0, 17).toUpperCase()}`;
    const identity: EmulatedIamIdentity = { kind, name: seed.name, path, uniqueId, arn: `arn:aws:iam::${this.accountId}:${kind}${path}${seed.name}` };
    this.identities = [...this.identities.filter((i) => !(i.kind === kind && i.name === seed.name)), identity];
    return identity;
  }
}

function listXml(action: 'ListRoles' | 'ListUsers', page: EmulatedIamIdentity[], marker: string | undefined, requestId: string): string {
  const members = page.map((i) => (action === 'ListRoles'
    ? `<member><Path>${xml(i.path)}</Path><RoleName>${xml(i.name)}</RoleName><RoleId>${i.uniqueId}</RoleId><Arn>${xml(i.arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></member>`
    : `<member><Path>${xml(i.path)}</Path><UserName>${xml(i.name)}</UserName><UserId>${i.uniqueId}</UserId><Arn>${xml(i.arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>`)).join('\n      ');
  const list = action === 'ListRoles' ? 'Roles' : 'Users';
  return `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <${action}Result>
    <IsTruncated>${marker !== undefined}</IsTruncated>${marker !== undefined ? `\n    <Marker>${marker}</Marker>` : ''}
    <${list}>
      ${members}
    </${list}>
  </${action}Result>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</${action}Response>
`;
}

function callerIdentityXml(accountId: string, arn: string, requestId: string): string {
  return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${xml(arn)}</Arn>
    <UserId>AROAEMULATEDCALLER0001:exporter</UserId>
    <Account>${accountId}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;
}
