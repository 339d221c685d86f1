import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { routeList } from '../../functions/routes.js';
import { createApp } from '../../infra/app.js';
import { type DeployConfigInput, parseDeployConfig } from '../../infra/config.js';
import { resourcesOf, type Synthesized, synth } from './support.js';

/**
 * The edge: a throttle per route (launch and API separately), an optional CloudFront + WAF rate rule per source
 * address, cdk-nag acknowledgements per resource only, and `tls.insecure` refused unless the synthesis allows it.
 */

const WEB_ACL_ARN =
  'arn:aws:wafv2:us-east-1:123456789012:global/webacl/broker-edge/0f0e0d0c-0b0a-0908-0706-050403020100';

/** Synthesizes with context (support.ts's `synth` takes none); cdk-nag runs and fails on any finding. */
function synthWith(input: DeployConfigInput, context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const { stack } = createApp(parseDeployConfig(input), app);
  const assembly = app.synth();
  return { app, stack, json: assembly.getStackByName(stack.stackName).template as Synthesized['json'] };
}

const stageOf = (json: Synthesized['json']) => {
  const stages = Object.values(json.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
  expect(stages).toHaveLength(1);
  return stages[0]?.Properties as {
    DefaultRouteSettings: Record<string, number>;
    RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
  };
};

describe('per-route throttling', () => {
  it('gives every route its own bucket: launch routes the launch budget, API routes the API budget', () => {
    const s = synth({
      throttle: { rateLimit: 40, burstLimit: 80 },
      launchThrottle: { rateLimit: 20, burstLimit: 30 },
    });
    const stage = stageOf(s.json);
    expect(Object.keys(stage.RouteSettings).sort()).toEqual(
      routeList.map((route) => `${route.method} ${route.path}`).sort(),
    );
    for (const route of routeList) {
      const expected = route.path.startsWith('/launch/')
        ? { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 30 }
        : { ThrottlingRateLimit: 40, ThrottlingBurstLimit: 80 };
      expect(stage.RouteSettings[`${route.method} ${route.path}`], route.path).toEqual(expected);
    }
    // CloudFormation refuses settings for a route key that does not exist yet.
    const stageResource = resourcesOf(s, 'AWS::ApiGatewayV2::Stage')[0]?.[1];
    const routeIds = resourcesOf(s, 'AWS::ApiGatewayV2::Route').map(([id]) => id);
    expect(stageResource?.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('defaults to 50 rps and a burst of 100 on each launch route', () => {
    const stage = stageOf(synth().json);
    expect(stage.RouteSettings['GET /launch/{token}']).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
  });
});

describe('edge: CloudFront with a WAF rate rule per source address', () => {
  it('is off by default', () => {
    const s = synth();
    expect(resourcesOf(s, 'AWS::CloudFront::Distribution')).toEqual([]);
    expect(resourcesOf(s, 'AWS::WAFv2::WebACL')).toEqual([]);
  });

  it('fronts the API with an uncached distribution carrying a per-address rate-based rule', () => {
    const { json } = synthWith({
      env: { region: 'us-east-1' },
      edge: { waf: true, rateLimitPer5Minutes: 500 },
    });
    const s = { json } as Synthesized;
    const [acl] = resourcesOf(s, 'AWS::WAFv2::WebACL');
    expect(acl?.[1].Properties).toMatchObject({
      Scope: 'CLOUDFRONT',
      Rules: [
        {
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP' } },
        },
      ],
    });
    const [distribution] = resourcesOf(s, 'AWS::CloudFront::Distribution');
    const config = distribution?.[1].Properties?.DistributionConfig as Record<string, unknown>;
    expect(config.WebACLId).toEqual({ 'Fn::GetAtt': [acl?.[0], 'Arn'] });
    expect(JSON.stringify(config.DefaultCacheBehavior)).toContain('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    expect(JSON.stringify(config.Origins)).toContain('HttpApi');
    // Launch links go through the edge.
    const env = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => JSON.stringify(r.Properties?.Environment ?? {}));
    expect(env.filter((e) => e.includes('PUBLIC_BASE_URL')).every((e) => e.includes('DomainName'))).toBe(
      true,
    );
  });

  it('uses a given web ACL in any region, and refuses to create one outside us-east-1', () => {
    const { json } = synthWith({ env: { region: 'eu-west-1' }, edge: { waf: true, webAclArn: WEB_ACL_ARN } });
    const s = { json } as Synthesized;
    expect(resourcesOf(s, 'AWS::WAFv2::WebACL')).toEqual([]);
    const [distribution] = resourcesOf(s, 'AWS::CloudFront::Distribution');
    const config = distribution?.[1].Properties?.DistributionConfig as Record<string, unknown> | undefined;
    expect(config?.WebACLId).toBe(WEB_ACL_ARN);
    expect(() => synthWith({ env: { region: 'eu-west-1' }, edge: { waf: true } })).toThrow(/us-east-1/);
  });

  it('refuses a custom domain on API Gateway beside the edge (it would bypass the WAF)', () => {
    expect(() =>
      parseDeployConfig({
        edge: { waf: true },
        customDomain: {
          domainName: 'broker.example.com',
          certificateArn:
            'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100',
        },
      }),
    ).toThrow(/customDomain/);
  });
});

describe('cdk-nag acknowledgements', () => {
  const acknowledged = (construct: IConstruct): string[] =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => JSON.stringify(entry.data));

  it('acknowledge IAM5 findings one by one on single resources, and "*" never on a role', () => {
    for (const input of [{}, { env: { region: 'us-east-1' }, edge: { waf: true } }] as DeployConfigInput[]) {
      const { stack } = synthWith(input);
      let holders = 0;
      for (const construct of stack.node.findAll()) {
        const iam5 = acknowledged(construct).filter((text) => text.includes('AwsSolutions-IAM5'));
        if (iam5.length === 0) continue;
        holders++;
        // A leaf resource, so the acknowledgement cannot reach policies added to a role later.
        expect(CfnResource.isCfnResource(construct), construct.node.path).toBe(true);
        for (const text of iam5) {
          // Never the whole rule, always one finding.
          expect(text, construct.node.path).toMatch(/AwsSolutions-IAM5\[/);
          if (text.includes('IAM5[Resource::*]')) {
            expect((construct as CfnResource).cfnResourceType, construct.node.path).toBe('AWS::IAM::Policy');
          }
        }
      }
      expect(holders).toBeGreaterThan(0);
    }
  });

  it('a "*" in a role policy is only ever the X-Ray and VPC network-interface actions', () => {
    const s = synth({});
    const allowedOnStar =
      /^(xray:|ec2:(Create|Describe|Delete|Assign|Unassign)\w*NetworkInterfaces?|ec2:DescribeSubnets)/;
    for (const [, role] of resourcesOf(s, 'AWS::IAM::Role')) {
      const inline =
        (role.Properties?.Policies as { PolicyDocument: { Statement: { Resource: unknown }[] } }[]) ?? [];
      for (const statement of inline.flatMap((p) => p.PolicyDocument.Statement)) {
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
    for (const [, policy] of resourcesOf(s, 'AWS::IAM::Policy')) {
      const document = policy.Properties?.PolicyDocument as
        | { Statement: { Action: unknown; Resource: unknown }[] }
        | undefined;
      const statements = document?.Statement ?? [];
      for (const statement of statements.filter((st) => [st.Resource].flat().includes('*'))) {
        for (const action of [statement.Action].flat()) expect(String(action)).toMatch(allowedOnStar);
      }
    }
  });
});

describe('insecure appliances', () => {
  const envOf = (json: Synthesized['json']) =>
    Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map(
        (r) =>
          (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      )
      // The functions that run the broker (health and openapi do not).
      .filter((variables) => 'TABLE_NAME' in variables);

  it('are refused by every broker function unless the synthesis says otherwise', () => {
    const { json } = synthWith({});
    const envs = envOf(json);
    expect(envs.length).toBeGreaterThan(0);
    for (const env of envs) expect(env.ALLOW_INSECURE_APPLIANCES).toBe('false');
    expect(json.Outputs?.AllowInsecureAppliances?.Value).toBe('false');
  });

  it('are allowed with the explicit context flag, with a warning at synthesis', () => {
    const { json, stack } = synthWith({}, { allowInsecureAppliances: 'true' });
    for (const env of envOf(json)) expect(env.ALLOW_INSECURE_APPLIANCES).toBe('true');
    expect(json.Outputs?.AllowInsecureAppliances?.Value).toBe('true');
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('tls\\.insecure'));
    // Anything but an explicit true keeps them refused.
    for (const value of ['yes', '1', false]) {
      for (const env of envOf(synthWith({}, { allowInsecureAppliances: value }).json)) {
        expect(env.ALLOW_INSECURE_APPLIANCES).toBe('false');
      }
    }
  });
});
