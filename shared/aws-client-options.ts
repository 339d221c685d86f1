/**
 * The options of every AWS SDK client the broker makes (DynamoDB, Secrets Manager): three attempts, and
 * timeouts, so an endpoint that hangs fails the request in seconds, as a 503 naming what was being done, instead
 * of holding it until API Gateway gives up at 29 s (or the function's own timeout cuts a click in half). Both
 * services answer in milliseconds: 1 s to connect and 3 s for the whole request, per attempt.
 */
export function awsClientOptions() {
  return {
    maxAttempts: 3,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and waits on.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  };
}
