import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** The QuickSight actions the handler calls, and nothing else. */
export const HANDLER_ACTIONS = [
  'quicksight:RegisterUser',
  'quicksight:DescribeUser',
  'quicksight:UpdateUser',
  'quicksight:DeleteUser',
  'quicksight:TagResource',
  'quicksight:UntagResource',
  'quicksight:ListTagsForResource',
];

/** How long one event may run: the handler answers 5 s before this, whatever QuickSight does. */
export const HANDLER_TIMEOUT = Duration.minutes(5);

/**
 * The construct id of the provider under its stack. Part of the public contract: CloudFormation
 * refuses a change of a custom resource's ServiceToken, so it must never change.
 */
const PROVIDER_ID = 'QuickSightUserProvider';

/**
 * The custom resource provider of a stack's QuickSight users: one handler Lambda (and one Provider
 * framework function) per stack, however many users it declares. Its QuickSight permissions are
 * scoped to `user/<namespace>/*` of the accounts, identity regions and namespaces in use, so the
 * policy grows with the namespaces, never with the users.
 */
export class QuickSightUserProvider extends Construct {
  /** The stack's provider, created on first use. */
  public static of(scope: Construct): QuickSightUserProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return (existing as QuickSightUserProvider | undefined) ?? new QuickSightUserProvider(stack, PROVIDER_ID);
  }

  /** The ServiceToken of the custom resources. */
  public readonly serviceToken: string;
  /** The Lambda function that calls QuickSight. */
  public readonly handler: lambda.Function;
  private readonly quickSightStatement: iam.PolicyStatement;
  private readonly grantedScopes = new Set<string>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Registers, updates and deregisters the QuickSight users declared in this stack',
    });
    handlerLogs.grant(handlerRole, 'logs:CreateLogStream', 'logs:PutLogEvents');
    this.quickSightStatement = new iam.PolicyStatement({ actions: HANDLER_ACTIONS, resources: [] });
    handlerRole.addToPrincipalPolicy(this.quickSightStatement);

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Custom::QuickSightUser handler: RegisterUser, UpdateUser, DeleteUser and tags',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerBundleDir()),
      timeout: HANDLER_TIMEOUT,
      memorySize: 256,
      role: handlerRole,
      logGroup: handlerLogs,
      loggingFormat: lambda.LoggingFormat.JSON,
    });

    const frameworkLogs = new logs.LogGroup(this, 'FrameworkLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the CDK custom resource Provider framework for the QuickSight users of this stack',
    });
    frameworkLogs.grant(frameworkRole, 'logs:CreateLogStream', 'logs:PutLogEvents');
    // The framework's own log level stays at its default (FATAL): at INFO it would log whole
    // requests (emails) and results (invitation URLs).
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole,
    });
    this.serviceToken = provider.serviceToken;
  }

  /** Lets the handler manage the users of a namespace (`user/<namespace>/*`); once per scope. */
  public grantNamespace(awsAccountId: string, identityRegion: string, namespace: string): void {
    const key = [awsAccountId, identityRegion, namespace].join('|');
    if (this.grantedScopes.has(key)) return;
    this.grantedScopes.add(key);
    this.quickSightStatement.addResources(Stack.of(this).formatArn({
      service: 'quicksight',
      region: identityRegion,
      account: awsAccountId,
      resource: 'user',
      resourceName: `${namespace}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }));
  }
}

/**
 * The folder of the bundled handler (npm run build writes it). From compiled code (dist/lib) it
 * sits at dist/assets/handler; from the TypeScript sources (lib/, under ts-jest) at the same place.
 */
function handlerBundleDir(): string {
  const candidates = [path.join(__dirname, '..', 'assets', 'handler'), path.join(__dirname, '..', 'dist', 'assets', 'handler')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    throw new Error(`The QuickSightUser handler bundle is missing (looked in ${candidates.join(' and ')}): run \`npm run build\` first.`);
  }
  return found;
}
