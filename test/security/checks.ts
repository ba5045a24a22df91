// Security checks that can be pointed at any app that uses the construct: cdk-nag's AwsSolutions
// pack, the acknowledgements (suppressions) the templates carry, and the handler's IAM grants.
import { App, Aspects, Stack, Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Template } from '../cfn-simulator';

export interface NagFinding {
  /** The construct path of the resource. */
  readonly path: string;
  /** The rule, such as AwsSolutions-IAM5. */
  readonly rule: string;
  /** The finding within the rule (granular rules), such as Resource::arn:...:user/default/*. */
  readonly finding?: string;
  readonly level: string;
}

/**
 * Runs cdk-nag's AwsSolutions pack on every stack of `scope` (an App, or one Stack) and returns what
 * it reports, errors and warnings alike; acknowledged (suppressed) findings are not reported.
 * Pass a scope that has not been synthesized yet: the checks run as an aspect during synthesis.
 */
export function awsSolutionsFindings(scope: App | Stack): NagFinding[] {
  Aspects.of(scope).add(new AwsSolutionsChecks({ verbose: true }));
  const stage = scope instanceof Stack ? Stage.of(scope)! : scope;
  const assembly = stage.synth({ force: true });
  const artifacts = scope instanceof Stack ? [assembly.getStackArtifact(scope.artifactId)] : assembly.stacks;
  const findings: NagFinding[] = [];
  for (const artifact of artifacts) {
    for (const message of artifact.messages) {
      const text = String(message.entry.data ?? '');
      const match = /^(AwsSolutions-[A-Za-z0-9]+)(?:\[([^\]]*)\])?/.exec(text);
      if (match && (message.level === 'error' || message.level === 'warning')) {
        findings.push({ path: message.id, rule: match[1], finding: match[2], level: message.level });
      }
    }
  }
  return findings;
}

export interface Acknowledgement {
  /** The logical id of the resource it is on, or '(stack)' for a stack-wide one. */
  readonly resource: string;
  readonly path?: string;
  readonly id: string;
  readonly reason: string;
  readonly appliesTo?: Array<string | { regex: string }>;
}

/** Every cdk-nag acknowledgement a template carries (resource metadata and stack metadata). */
export function acknowledgements(template: Template & { Metadata?: Record<string, unknown> }): Acknowledgement[] {
  type Raw = { id: string; reason: string; applies_to?: Array<string | { regex: string }>; is_reason_encoded?: boolean };
  const decode = (r: Raw) => (r.is_reason_encoded ? Buffer.from(r.reason, 'base64').toString() : r.reason);
  const list: Acknowledgement[] = [];
  const stackWide = (template.Metadata?.cdk_nag as { rules_to_suppress?: Raw[] } | undefined)?.rules_to_suppress ?? [];
  for (const r of stackWide) list.push({ resource: '(stack)', id: r.id, reason: decode(r), appliesTo: r.applies_to });
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const metadata = (resource as { Metadata?: Record<string, unknown> }).Metadata;
    for (const r of (metadata?.cdk_nag as { rules_to_suppress?: Raw[] } | undefined)?.rules_to_suppress ?? []) {
      list.push({ resource: logicalId, path: metadata?.['aws:cdk:path'] as string | undefined, id: r.id, reason: decode(r), appliesTo: r.applies_to });
    }
  }
  return list;
}

export interface PolicyStatement {
  readonly policy: string;
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
}

/** Every statement of every IAM policy in a template (inline role policies included). */
export function policyStatements(template: Template): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') documents.push(resource.Properties?.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') documents.push(...((resource.Properties?.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map((p) => p.PolicyDocument));
    for (const document of documents) {
      for (const s of (document as { Statement?: Array<Record<string, unknown>> } | undefined)?.Statement ?? []) {
        statements.push({ policy: logicalId, Effect: String(s.Effect), Action: [s.Action ?? []].flat() as string[], Resource: [s.Resource ?? []].flat() });
      }
    }
  }
  return statements;
}
