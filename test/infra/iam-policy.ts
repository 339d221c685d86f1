import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from '../support/aws-recorder.js';
import { resourcesOf, roleOf, type Synthesized, statementsOfRole } from './support.js';

/** The account, region and stack name the template's tokens resolve to, as CloudFormation would in a deployment. */
export const DEPLOYMENT = {
  account: '111111111111',
  region: 'eu-west-1',
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
  stackName: 'ConsoleLaunchBroker',
  /** The 6 characters Secrets Manager appends to every secret's ARN. */
  secretSuffix: 'AbCdEf',
} as const;

const D = DEPLOYMENT;
const arn = (service: string, resource: string) =>
  `arn:${D.partition}:${service}:${D.region}:${D.account}:${resource}`;

/** The ARN of a secret by name, suffix included (what IAM sees whatever id the caller passed). */
export const secretArn = (name: string) => arn('secretsmanager', `secret:${name}-${D.secretSuffix}`);

/** The physical names CloudFormation would give resources without an explicit one: `<stack>-<logical id>`. */
export function physicalName(s: Synthesized, logicalId: string): string {
  const props = s.json.Resources[logicalId]?.Properties ?? {};
  const explicit = props.TableName ?? props.Name ?? props.FunctionName ?? props.RoleName;
  return typeof explicit === 'string' ? explicit : `${D.stackName}-${logicalId}`;
}

/** `Ref` of a resource, by type (the name or the ARN, as CloudFormation documents for each). */
function ref(s: Synthesized, logicalId: string): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': D.partition,
    'AWS::Region': D.region,
    'AWS::AccountId': D.account,
    'AWS::StackName': D.stackName,
    'AWS::URLSuffix': D.urlSuffix,
  };
  if (pseudo[logicalId]) return pseudo[logicalId];
  const type = s.json.Resources[logicalId]?.Type;
  if (!type) throw new Error(`Ref to unknown ${logicalId}`);
  if (type === 'AWS::SecretsManager::Secret') return secretArn(physicalName(s, logicalId));
  return physicalName(s, logicalId);
}

function getAtt(s: Synthesized, logicalId: string, attribute: string): string {
  const type = s.json.Resources[logicalId]?.Type;
  const name = physicalName(s, logicalId);
  if (attribute === 'ApiEndpoint')
    return `https://${name.toLowerCase()}.execute-api.${D.region}.${D.urlSuffix}`;
  if (attribute !== 'Arn') return `${name}.${attribute}`;
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return arn('dynamodb', `table/${name}`);
    case 'AWS::Logs::LogGroup':
      return arn('logs', `log-group:${name}:*`);
    case 'AWS::Lambda::Function':
      return arn('lambda', `function:${name}`);
    case 'AWS::KMS::Key':
      return arn('kms', `key/${name}`);
    case 'AWS::SQS::Queue':
      return arn('sqs', name);
    case 'AWS::SecretsManager::Secret':
      return secretArn(name);
    default:
      throw new Error(`no ARN rule for ${type} ${logicalId}`);
  }
}

/**
 * Resolves Ref, Fn::GetAtt, Fn::Join and Fn::Sub with the fixed deployment values; other values pass through.
 * `refs` replaces the `Ref` of some logical ids (a local engine's own ARN for a secret, say).
 */
export function resolve(s: Synthesized, value: unknown, refs: Record<string, string> = {}): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(s, item, refs));
  if (!value || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return refs[String(node.Ref)] ?? ref(s, String(node.Ref));
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return getAtt(s, id, attribute);
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolve(s, part, refs)).join(separator);
  }
  if ('Fn::Sub' in node && typeof node['Fn::Sub'] === 'string') {
    return node['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const [id, attribute] = name.split('.');
      return attribute ? getAtt(s, id!, attribute) : ref(s, id!);
    });
  }
  return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, resolve(s, inner, refs)]));
}

/** A resolved IAM statement of a function's role. */
export interface ResolvedStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The identity policy of a Lambda's role (inline and attached), with every token resolved. */
export function policyOf(s: Synthesized, functionLogicalId: string): ResolvedStatement[] {
  return statementsOfRole(s, roleOf(s, functionLogicalId)).map(
    (statement) => resolve(s, statement) as ResolvedStatement,
  );
}

/** The logical id of the Lambda whose description starts with `prefix`. */
export function lambdaByDescription(s: Synthesized, prefix: string): string {
  const found = resourcesOf(s, 'AWS::Lambda::Function').filter(([, resource]) =>
    String(resource.Properties?.Description ?? '').startsWith(prefix),
  );
  if (found.length !== 1)
    throw new Error(`expected one Lambda described "${prefix}…", found ${found.length}`);
  return found[0]![0];
}

/** A recorded call as IAM authorizes it: the action, the resource ARN and the request's context keys. */
export interface IamRequest {
  call: RecordedCall;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface Decision {
  request: IamRequest;
  allowed: boolean;
  detail: string;
}

/** Runs one request through the simulator against a function's identity policy. */
export async function simulate(
  statements: ResolvedStatement[],
  fn: string,
  request: IamRequest,
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${D.partition}:sts::${D.account}:assumed-role/${D.stackName}-${fn}/${fn}`,
        action: request.action,
        resource: { resource: request.resource, accountId: D.account },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: 'access', policy: { Version: '2012-10-17', Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    return { request, allowed: false, detail: `simulation error: ${result.errors.message}` };
  }
  return { request, allowed: result.overallResult === 'Allowed', detail: result.overallResult };
}

/** One grant of a policy: an action on a resource pattern, limited to some partitions or not. */
export interface Grant {
  sid: string;
  action: string;
  resource: string;
  partitions: string[] | undefined;
}

/** A policy's grants, one per action × resource. */
export function grantsOf(statements: ResolvedStatement[]): Grant[] {
  return statements.flatMap((statement) => {
    const leading = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    return [statement.Action].flat().flatMap((action) =>
      [statement.Resource].flat().map((resource) => ({
        sid: statement.Sid ?? '(no sid)',
        action,
        resource,
        partitions: leading === undefined ? undefined : [leading].flat(),
      })),
    );
  });
}

/** IAM's glob: `*` any run of characters, `?` one. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/** Whether an allowed request exercised a grant (same action, matching resource, a key in its partitions). */
export function exercises(grant: Grant, request: IamRequest): boolean {
  if (!globMatches(grant.action, request.action) || !globMatches(grant.resource, request.resource))
    return false;
  if (!grant.partitions) return true;
  const keys = [request.context['dynamodb:LeadingKeys'] ?? []].flat();
  return keys.some((key) => grant.partitions!.some((pattern) => globMatches(pattern, key)));
}

/** A grant for one partition pattern, for the least-privilege table: `dynamodb:GetItem table[LINK#*]`. */
export function describeGrant(
  grant: Grant,
  partition: string | undefined,
  names: [string, string][],
): string {
  let resource = grant.resource;
  for (const [long, short] of names) resource = resource.replace(long, short);
  return `${grant.action} ${resource}${partition ? `[${partition}]` : ''}`;
}
