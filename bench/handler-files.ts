// Where the two handlers' code is, as Lambda would load it.
import * as path from 'node:path';

/** Our handler, bundled with the AWS SDK by scripts/bundle-handler.js (npm run build). */
export const OUR_HANDLER_FILE = path.join(__dirname, '..', 'assets', 'handler', 'index.js');

/**
 * The handler aws-cdk-lib ships for AwsCustomResource, the file the CDK stages as the asset of its
 * singleton Lambda. It does not bundle the SDK: it requires @aws-sdk/client-<service> from the
 * Lambda runtime (here, from node_modules: the same client version our bundle carries).
 */
export const AWS_CUSTOM_RESOURCE_HANDLER_FILE = path.join(
  path.dirname(require.resolve('aws-cdk-lib/package.json')),
  'custom-resource-handlers', 'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js',
);

/** The SDK client package the AwsCustomResource handler requires for QuickSight calls. */
export const AWS_SDK_CLIENT = '@aws-sdk/client-quicksight';
