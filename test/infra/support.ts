import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/app.js';
import { type DeployConfigInput, parseDeployConfig } from '../../infra/config.js';

/** A synthesized stack: the app (for cdk-nag) and the stack's template. */
export interface Synthesized {
  app: App;
  template: Template;
  /** The raw template, for walking resources. */
  json: { Resources: Record<string, Resource>; Outputs?: Record<string, { Value: unknown }> };
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

const cache = new Map<string, Synthesized>();

/**
 * Synthesizes the app of a configuration once per test file (the plugins run: cdk-nag fails the synthesis on any
 * unacknowledged finding). `aws:cdk:bundling-stacks: []` skips esbuild, so no function is bundled.
 */
export function synth(input: DeployConfigInput = {}): Synthesized {
  const key = JSON.stringify(input);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { stack } = createApp(parseDeployConfig(input), app);
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as Synthesized['json'];
  const result = { app, template: Template.fromJSON(json), json };
  cache.set(key, result);
  return result;
}

/** Resources of a type, by logical id. */
export function resourcesOf(s: Synthesized, type: string): [string, Resource][] {
  return Object.entries(s.json.Resources).filter(([, resource]) => resource.Type === type);
}

/** Broker function name (`functions/<name>.ts`, from the description) → logical id of its Lambda. */
export function functionIds(s: Synthesized): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [id, resource] of resourcesOf(s, 'AWS::Lambda::Function')) {
    const match = /^Console Launch Broker: (.+)$/.exec(String(resource.Properties?.Description ?? ''));
    if (match?.[1]) ids.set(match[1], id);
  }
  return ids;
}

/** The logical id of a broker function's Lambda (`functions/<name>.ts`); throws if the stack has none. */
export function functionId(s: Synthesized, name: string): string {
  const id = functionIds(s).get(name);
  if (!id) throw new Error(`no function ${name}`);
  return id;
}

/** The properties of a broker function's Lambda. */
export function functionProps(s: Synthesized, name: string): Record<string, unknown> {
  return s.json.Resources[functionId(s, name)]?.Properties ?? {};
}

/** The environment variables of a broker function's Lambda. */
export function functionEnv(s: Synthesized, name: string): Record<string, unknown> {
  return (functionProps(s, name).Environment as { Variables: Record<string, unknown> }).Variables;
}

/**
 * The integration URI, as JSON text, behind the HTTP API route with this key (`GET /launch/{token}`): it names
 * the function (or alias) the route invokes. Throws if the route or its integration is missing.
 */
export function integrationUriOf(s: Synthesized, routeKey: string): string {
  const route = resourcesOf(s, 'AWS::ApiGatewayV2::Route').find(
    ([, resource]) => resource.Properties?.RouteKey === routeKey,
  );
  if (!route) throw new Error(`no route ${routeKey}`);
  const integrationId = /"(ApiHttpApi[A-Za-z0-9]+)"/.exec(JSON.stringify(route[1].Properties?.Target))?.[1];
  const integration = integrationId ? s.json.Resources[integrationId] : undefined;
  if (integration?.Type !== 'AWS::ApiGatewayV2::Integration') {
    throw new Error(`route ${routeKey} has no integration`);
  }
  return JSON.stringify(integration.Properties?.IntegrationUri);
}

/** The role logical id of a Lambda. */
export function roleOf(s: Synthesized, functionId: string): string {
  const role = s.json.Resources[functionId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Every statement that applies to a role: its inline policies and the AWS::IAM::Policy resources naming it. */
export function statementsOfRole(s: Synthesized, roleId: string): Statement[] {
  const role = s.json.Resources[roleId];
  const inline = (
    (role?.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = resourcesOf(s, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      ((policy.Properties?.Roles as { Ref: string }[]) ?? []).some((ref) => ref.Ref === roleId),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached];
}

/**
 * A role's permissions as `action → sorted resource descriptions`: `table[LINK#*]` (the table, limited to
 * partitions), `table/index/gsi1`, `keys-secret`, `appliance-secrets`, `own-logs`, `*`.
 */
export function permissionsOfRole(s: Synthesized, roleId: string): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const statement of statementsOfRole(s, roleId)) {
    if (statement.Effect !== 'Allow') throw new Error(`unexpected ${statement.Effect} statement`);
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat();
    const leading = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    for (const action of actions) {
      out[action] ??= new Set();
      for (const resource of resources) {
        let name = describe(s, resource);
        if (leading) name += `[${[leading].flat().sort().join(',')}]`;
        out[action].add(name);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, set]) => [action, [...set].sort()]),
  );
}

/** Short, stable names for the resources the broker's policies name. */
function describe(s: Synthesized, resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const ref = (prefix: string) =>
    Object.keys(s.json.Resources).find((id) => id.startsWith(prefix) && text.includes(`"${id}"`));
  if (text.includes('/index/')) return `table/index/${/\/index\/([a-z0-9]+)/.exec(text)?.[1]}`;
  if (ref('StateTableKey')) return 'table-key';
  if (ref('StateTable')) return 'table';
  if (ref('SecretsKeys') && !text.includes('appliances/')) return 'keys-secret';
  if (text.includes(':secret:') && text.includes('appliances/*')) return 'appliance-secrets';
  if (text.includes('LogsFE') || /Logs[0-9A-F]{8}/.test(text)) return 'own-logs';
  if (ref('ScheduleDeadLetterQueue')) return 'dead-letter-queue';
  return text;
}

/** The one resource of a type (whose logical id starts with `prefix`): its id, properties and attributes. */
export function single(
  s: Synthesized,
  type: string,
  prefix = '',
): { id: string; props: Record<string, unknown>; resource: Resource } {
  const found = resourcesOf(s, type).filter(([logicalId]) => logicalId.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, props: resource.Properties ?? {}, resource };
}
