import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on a construct and its children (cdk-nag v3 reads CDK's native
 * `Validations.of(...).acknowledge()` metadata). `id` is a rule (`AwsSolutions-L1`) or one finding of a rule
 * (`AwsSolutions-IAM5[Resource::*]`): v3 has no bulk suppression, each finding is acknowledged by name.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The text cdk-nag uses for a value in a finding id (`Resource::<value>`): tokens resolved and CloudFormation
 * references flattened the way cdk-nag flattens them (`{Ref: X}` → `<X>`, `Fn::GetAtt` → `<Res.Attr>`).
 */
export function nagText(scope: IConstruct, value: string): string {
  return flatten(Stack.of(scope).resolve(value));
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (record['Fn::Join']) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (record['Fn::Sub']) return flatten(record['Fn::Sub']);
    if (record['Fn::GetAtt']) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (record['Fn::ImportValue']) return flatten(record['Fn::ImportValue']);
    if (record.Ref) return `<${flatten(record.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * cdk-nag's AWS Solutions pack as a validation plugin that remembers what its last run found, so `npm run synth`
 * can say what it checked instead of staying silent on success.
 */
export class AwsSolutionsGate implements IPolicyValidationPlugin {
  private readonly checks = new AwsSolutionsChecks(undefined, { verbose: true });
  readonly name = this.checks.name;
  /** Violating resources in the last run (undefined: not run yet). */
  findings: number | undefined;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.checks.validate(context);
    this.findings = report.violations.reduce((sum, v) => sum + v.violatingResources.length, 0);
    return report;
  }
}

/** The AWS Solutions findings acknowledged anywhere in the tree (each `acknowledge` call is one). */
export function acknowledgedFindings(root: IConstruct): number {
  let count = 0;
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      count += Object.keys(entry.data as Record<string, string>).filter((rule) =>
        // aws-cdk-lib before 2.262.1 prefixed the ids with `annotation::`, later versions with `Annotation::`.
        rule.replace(/^annotation::/i, '').startsWith('AwsSolutions-'),
      ).length;
    }
  }
  return count;
}
