import { createHash, createHmac } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CliError } from './args.js';

/**
 * Reads a CloudFormation stack's outputs with one signed `DescribeStacks` query call. The credentials and
 * region come from the SDK's default chain (through the DynamoDB client this project already depends on);
 * the request is signed here with SigV4, so no CloudFormation SDK client is needed.
 */
export async function describeStackOutputs(
  stackName: string,
  options: { region?: string | undefined; env: Record<string, string | undefined> },
): Promise<Record<string, string>> {
  const sdk = new DynamoDBClient(options.region ? { region: options.region } : {});
  let region: string;
  let credentials: Credentials;
  try {
    region = await sdk.config.region();
    credentials = await sdk.config.credentials();
  } catch (error) {
    throw new CliError(`--stack: cannot resolve AWS region or credentials (${firstLine(error)})`);
  } finally {
    sdk.destroy();
  }
  const endpoint = new URL(
    options.env.AWS_ENDPOINT_URL_CLOUDFORMATION ??
      `https://cloudformation.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`,
  );
  const body = new URLSearchParams({
    Action: 'DescribeStacks',
    StackName: stackName,
    Version: '2010-05-15',
  }).toString();
  const headers = signV4({
    method: 'POST',
    url: endpoint,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    region,
    service: 'cloudformation',
    credentials,
    date: new Date(),
  });
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new CliError(`--stack: CloudFormation at ${endpoint.host} did not answer (${firstLine(error)})`);
  }
  const xml = await response.text();
  if (!response.ok) {
    const message = decodeXml(tag(xml, 'Message') ?? `HTTP ${response.status}`);
    throw new CliError(`--stack ${stackName}: ${message}`);
  }
  return parseOutputs(xml);
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: Credentials;
  date: Date;
}

/** AWS Signature Version 4: the headers to send, `authorization` included. */
export function signV4(input: SignInput): Record<string, string> {
  const amzDate = input.date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v])),
    host: input.url.host,
    'x-amz-date': amzDate,
  };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const query = [...input.url.searchParams]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a = '', x = ''], [b = '', y = '']) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    input.method,
    input.url.pathname || '/',
    query,
    ...names.map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    sha256(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** The `Outputs` of the first stack in a `DescribeStacks` XML answer. */
export function parseOutputs(xml: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const section = /<Outputs>([\s\S]*?)<\/Outputs>/.exec(xml)?.[1] ?? '';
  for (const member of section.split('<member>')) {
    const key = tag(member, 'OutputKey');
    const value = tag(member, 'OutputValue');
    if (key !== undefined && value !== undefined) outputs[decodeXml(key)] = decodeXml(value);
  }
  return outputs;
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[entity]) return named[entity];
    return String.fromCodePoint(
      entity.startsWith('#x') ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1)),
    );
  });
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
