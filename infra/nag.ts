import { Stack, Validations } from 'aws-cdk-lib';
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
