/** The region and credentials used with the local engines: they accept any, and fixed ones keep the SDK from searching for real ones. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** Env vars that point the stock AWS SDK v3 clients at the local engines, exactly as a deployed Lambda would be configured. */
export function localAwsEnv(endpoints: { dynamodb: string; secretsManager: string }): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    // Without this a credential-chain miss would probe 169.254.169.254 and stall for seconds.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Copies env vars into process.env, because the SDK reads its endpoint and region settings from there. */
export function applyEnv(env: Record<string, string>): void {
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
}
