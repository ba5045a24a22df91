// Runs the handler that aws-cdk-lib ships for AwsCustomResource, outside Lambda. It answers
// CloudFormation itself, with an HTTPS PUT to the event's ResponseURL: that PUT is caught here and
// becomes the result, so the benchmark sees what CloudFormation would have been told.
// No aws-cdk-lib import (only a path into its package): handler processes load this file.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
// The module object itself (not an ES namespace copy): the handler looks request up on it at each call.
import https = require('node:https');
import { AWS_CUSTOM_RESOURCE_HANDLER_FILE } from './handler-files';

/** What the handler answers CloudFormation. */
export interface CloudFormationResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, unknown>;
}

type AwsCustomResourceHandler = (event: unknown, context: { logStreamName: string }) => Promise<void>;

let captured: CloudFormationResponse[] | undefined;

/** Routes the handler's HTTPS answer to CloudFormation into `captured` (once per process). */
function catchResponses(): CloudFormationResponse[] {
  if (captured) return captured;
  const responses: CloudFormationResponse[] = [];
  // The handler calls require('https').request(options, callback) and waits for the callback;
  // the SDK calls QuickSight over http (the emulator), so nothing else goes through here.
  (https as { request: unknown }).request = (_options: unknown, callback: (res: unknown) => void) => {
    let body = '';
    const request = {
      on: () => request,
      write: (chunk: string) => { body += chunk; return true; },
      end: () => {
        responses.push(JSON.parse(body) as CloudFormationResponse);
        setImmediate(() => callback({ statusCode: 200 }));
      },
    };
    return request;
  };
  captured = responses;
  return responses;
}

/** Loads the handler module (what Lambda's init phase does). */
export function loadAwsCustomResourceHandler(): AwsCustomResourceHandler {
  catchResponses();
  return (require(AWS_CUSTOM_RESOURCE_HANDLER_FILE) as { handler: AwsCustomResourceHandler }).handler;
}

/**
 * Runs one event through the handler and returns its answer. The handler logs whole events and
 * API responses (emails, invitation URLs) with console.log: silenced here, so nothing leaks into
 * the benchmark's output.
 */
export async function runAwsCustomResourceHandler(handler: AwsCustomResourceHandler, event: CloudFormationCustomResourceEvent): Promise<CloudFormationResponse> {
  const responses = catchResponses();
  const before = responses.length;
  const log = console.log;
  console.log = () => undefined;
  try {
    // The handler parses ResourceProperties in place: give it its own copy.
    await handler(structuredClone(event), { logStreamName: 'bench' });
  } finally {
    console.log = log;
  }
  const response = responses[before];
  if (!response) throw new Error(`The AwsCustomResource handler answered nothing for the ${event.RequestType} of ${event.LogicalResourceId}`);
  return response;
}
