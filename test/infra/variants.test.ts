import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../../infra/constructs/network.js';
import {
  functionEnv,
  functionId,
  functionIds,
  functionProps,
  integrationUriOf,
  permissionsOfRole,
  resourcesOf,
  roleOf,
  type Synthesized,
  single,
  synth,
} from './support.js';

const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
};
const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';

/** Every option on at once (one synthesis keeps the suite fast). */
const FULL = {
  stackName: 'BrokerFull',
  env: { account: '123456789012', region: 'eu-west-1' },
  vpc: VPC,
  customDomain: { domainName: 'launch.example.com', certificateArn: CERTIFICATE },
  alarmEmail: 'ops@example.com',
  tableEncryption: 'customer-managed',
  deletionProtection: false,
  logRetentionDays: 365,
  throttle: { rateLimit: 20, burstLimit: 40 },
  syncSchedule: 'rate(5 minutes)',
  launchProvisionedConcurrency: 2,
} as const;

const APPLIANCE_FACING = [
  'login',
  'devices',
  'ticket',
  'links-create',
  'links-revoke',
  'launch',
  'inventory-sync',
];

let s: Synthesized;
let ids: Map<string, string>;
beforeAll(() => {
  s = synth(FULL);
  ids = functionIds(s);
}, 120_000);

describe('VPC placement', () => {
  it('puts exactly the appliance-facing functions in the configured subnets and security groups', () => {
    for (const [name] of ids) {
      const config = functionProps(s, name).VpcConfig;
      if (APPLIANCE_FACING.includes(name)) {
        expect(config, name).toEqual({ SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds });
      } else {
        expect(config, name).toBeUndefined();
      }
    }
  });

  it('creates a DynamoDB gateway endpoint and a private-DNS Secrets Manager interface endpoint, so no NAT is needed', () => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: VPC.vpcId,
      VpcEndpointType: 'Gateway',
      ServiceName: 'com.amazonaws.eu-west-1.dynamodb',
      RouteTableIds: VPC.routeTableIds,
    });
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: VPC.vpcId,
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.eu-west-1.secretsmanager',
      PrivateDnsEnabled: true,
      SubnetIds: VPC.subnetIds,
    });
    s.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: VPC.securityGroupIds[0] },
      ],
    });
  });

  it('gives the network interface actions only to the functions in the VPC', () => {
    for (const [name, logicalId] of ids) {
      const actions = Object.keys(permissionsOfRole(s, roleOf(s, logicalId)));
      expect(actions.includes('ec2:CreateNetworkInterface'), name).toBe(APPLIANCE_FACING.includes(name));
    }
    for (const [logicalId, role] of resourcesOf(s, 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns, logicalId).toBeUndefined();
    }
  });

  it('without endpoints (the VPC has its own) creates none and needs no route tables', () => {
    const stack = new Stack(new App(), 'NetworkOnly', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const { routeTableIds: _, ...withoutRouteTables } = VPC;
    const network = new Network(stack, 'Network', { ...withoutRouteTables, endpoints: false });
    expect(network.endpointSecurityGroup).toBeUndefined();
    expect(stack.node.findAll().filter((node) => node instanceof ec2.CfnVPCEndpoint)).toEqual([]);
    expect(network.placement.subnets.map((subnet) => subnet.subnetId)).toEqual(VPC.subnetIds);
  });
});

describe('custom domain', () => {
  it('maps the domain (regional, TLS 1.2, the given certificate) and makes it the base of launch links', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'launch.example.com',
      DomainNameConfigurations: [
        { CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ],
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    for (const name of ['launch', 'links-create', 'ticket']) {
      expect(functionEnv(s, name).PUBLIC_BASE_URL, name).toBe('https://launch.example.com');
    }
    expect(s.json.Outputs?.PublicBaseUrl?.Value).toBe('https://launch.example.com');
    expect(s.json.Outputs?.CustomDomainTarget).toBeDefined();
  });
});

describe('other options', () => {
  it('alarmEmail: an encrypted topic with the e-mail subscribed notifies on alarm and on recovery', () => {
    s.template.resourceCountIs('AWS::SNS::Topic', 1);
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    const { id: topicId, props: topicProps } = single(s, 'AWS::SNS::Topic');
    const topic = { Properties: topicProps };
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const alarms = resourcesOf(s, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(10);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('customer-managed table key: rotated, used by the table, and granted to the functions that use the table', () => {
    const { id: keyId, props: keyProps } = single(s, 'AWS::KMS::Key', 'StateTableKey');
    const key = { Properties: keyProps };
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const { resource: table } = single(s, 'AWS::DynamoDB::GlobalTable');
    expect(JSON.stringify(table.Properties?.Replicas)).toContain(keyId);
    const launch = permissionsOfRole(s, roleOf(s, functionId(s, 'launch')));
    expect(launch['kms:Decrypt']).toEqual(['table-key']);
    expect(launch['kms:GenerateDataKey']).toEqual(['table-key']);
    const head = permissionsOfRole(s, roleOf(s, functionId(s, 'launch-head')));
    expect(head['kms:Decrypt']).toEqual(['table-key']);
    expect(head['kms:GenerateDataKey']).toBeUndefined();
    expect(permissionsOfRole(s, roleOf(s, functionId(s, 'health')))['kms:Decrypt']).toBeUndefined();
  });

  it('deletionProtection false: the table can be deleted with the stack', () => {
    const { resource: table } = single(s, 'AWS::DynamoDB::GlobalTable');
    expect(JSON.stringify(table.Properties?.Replicas)).toContain('"DeletionProtectionEnabled":false');
    expect(table.DeletionPolicy).toBe('Delete');
  });

  it('throttling, log retention and the sync schedule follow the configuration', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    for (const [, group] of resourcesOf(s, 'AWS::Logs::LogGroup'))
      expect(group.Properties?.RetentionInDays).toBe(365);
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('launchProvisionedConcurrency: the click route invokes a `live` alias kept initialized', () => {
    const aliases = resourcesOf(s, 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(1);
    const [aliasId, alias] = aliases[0]!;
    expect(alias.Properties).toMatchObject({
      Name: 'live',
      FunctionName: { Ref: functionId(s, 'launch') },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    expect(integrationUriOf(s, 'GET /launch/{token}')).toContain(`"${aliasId}"`);
    // API Gateway may invoke the alias.
    expect(
      resourcesOf(s, 'AWS::Lambda::Permission').some(([, permission]) =>
        JSON.stringify(permission.Properties?.FunctionName).includes(`"${aliasId}"`),
      ),
    ).toBe(true);
  });

  it('cdk-nag AwsSolutionsChecks: zero findings with every option on', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
