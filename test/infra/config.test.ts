import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEPLOY_CONFIG_FILE,
  DeployConfigError,
  loadDeployConfig,
  parseDeployConfig,
} from '../../infra/config.js';

/** The problems of an invalid configuration. */
function problemsOf(input: unknown): string[] {
  try {
    parseDeployConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return (error as DeployConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  routeTableIds: ['rtb-0123456789abcdef0'],
};

describe('deploy configuration', () => {
  it('has safe defaults', () => {
    expect(parseDeployConfig({})).toMatchObject({
      stackName: 'ConsoleLaunchBroker',
      secretNamePrefix: 'console-launch-broker/',
      deletionProtection: true,
      tableEncryption: 'aws-managed',
      logRetentionDays: 90,
      throttle: { rateLimit: 50, burstLimit: 100 },
      syncSchedule: 'rate(15 minutes)',
      applianceTimeoutMs: 8000,
      bundleAwsSdk: true,
      logLevel: 'INFO',
    });
  });

  it.each([
    [{ logRetentionDays: 42 }, /^logRetentionDays: must be one of 1, 3, 5/],
    [{ vpc: { ...VPC, subnetIds: ['subnet-1', 'nope'] } }, /^vpc\.subnetIds\[0\]: must be a subnet id/],
    [{ vpc: { ...VPC, routeTableIds: undefined } }, /^vpc\.routeTableIds: required when endpoints is true/],
    [{ vpc: { ...VPC, securityGroupIds: [] } }, /^vpc\.securityGroupIds: /],
    [{ throttle: { burstLimit: 0.5 } }, /^throttle\.burstLimit: /],
    [
      { customDomain: { domainName: 'launch.example.com', certificateArn: 'arn:nope' } },
      /^customDomain\.certificateArn: must be an ACM certificate ARN/,
    ],
    [
      {
        customDomain: {
          domainName: 'Not A Domain',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
        },
      },
      /^customDomain\.domainName: must be a DNS name/,
    ],
    [{ publicBaseUrl: 'http://launch.example.com' }, /^publicBaseUrl: must be an https:\/\/ URL/],
    [{ applianceTimeoutMs: 20_000 }, /^applianceTimeoutMs: /],
    [
      { alarmEmail: 'ops@example.com', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' },
      /^alarmTopicArn: set alarmEmail or alarmTopicArn, not both/,
    ],
    [
      { linkDefaultTtlSeconds: 10, linkMaxTtlSeconds: 5 },
      /^linkDefaultTtlSeconds: must not exceed linkMaxTtlSeconds/,
    ],
    [{ syncSchedule: 'every 15 minutes' }, /^syncSchedule: must be rate\(\.\.\.\) or cron\(\.\.\.\)/],
    [{ env: { account: '12' } }, /^env\.account: must be a 12-digit account id/],
    [
      { secretNamePrefix: 'no-slash' },
      /^secretNamePrefix: must be a Secrets Manager name prefix ending with \//,
    ],
    [{ tableEncryption: 'none' }, /^tableEncryption: /],
    [{ deletionProtection: 'yes' }, /^deletionProtection: /],
    [{ tableName: 'x' }, /^tableName: unknown field$/],
    [{ vpc: { ...VPC, natGateway: true } }, /^vpc\.natGateway: unknown field$/],
  ])('%j is refused naming the field', (input, message) => {
    const problems = problemsOf(input);
    expect(
      problems.some((problem) => message.test(problem)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('lists every wrong field at once, and the error message names them with the source', () => {
    try {
      parseDeployConfig({ logRetentionDays: 2, throttle: { rateLimit: -1 } }, 'deploy.config.json');
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('invalid deploy configuration (deploy.config.json)');
      expect(message).toContain('logRetentionDays:');
      expect(message).toContain('throttle.rateLimit:');
    }
  });

  describe('loading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clb-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads deploy.config.json first, then the "broker" context (object or JSON string), else defaults', () => {
      expect(loadDeployConfig({ rootDir: dir }).source).toBe('defaults');
      const fromContext = loadDeployConfig({ rootDir: dir, context: { logRetentionDays: 30 } });
      expect(fromContext.config.logRetentionDays).toBe(30);
      expect(fromContext.source).toBe('context "broker"');
      expect(
        loadDeployConfig({ rootDir: dir, context: '{"logRetentionDays":14}' }).config.logRetentionDays,
      ).toBe(14);
      writeFileSync(join(dir, DEPLOY_CONFIG_FILE), JSON.stringify({ logRetentionDays: 365 }));
      const fromFile = loadDeployConfig({ rootDir: dir, context: { logRetentionDays: 30 } });
      expect(fromFile).toMatchObject({ source: DEPLOY_CONFIG_FILE, config: { logRetentionDays: 365 } });
    });

    it('an invalid file or context names the source and the field', () => {
      writeFileSync(join(dir, DEPLOY_CONFIG_FILE), '{ not json');
      expect(() => loadDeployConfig({ rootDir: dir })).toThrow(
        /deploy\.config\.json[\s\S]*not valid JSON \(line 1, column 3: /,
      );
      writeFileSync(join(dir, DEPLOY_CONFIG_FILE), JSON.stringify({ vpc: { vpcId: 'x' } }));
      expect(() => loadDeployConfig({ rootDir: dir })).toThrow(/vpc\.vpcId: must be a VPC id/);
      rmSync(join(dir, DEPLOY_CONFIG_FILE));
      expect(() => loadDeployConfig({ rootDir: dir, context: '{nope' })).toThrow(/context "broker"/);
    });
  });
});
