// Runs in a fresh Node process, as the Lambda runtime does: import the bundle, invoke its handler once.
// Prints one `BENCH_RESULT {...}` line with the in-process split; the parent measures the wall time.
const started = performance.now();
const mod = await import(process.argv[2]);
const imported = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT ?? '{}');
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  memoryLimitInMB: '256',
  awsRequestId: crypto.randomUUID(),
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 29_000,
  done() {},
  fail() {},
  succeed() {},
};
let status;
let error;
try {
  const result = await mod.handler(event, context);
  status =
    result?.statusCode ?? (result?.isAuthorized === undefined ? 'ok' : `authorized=${result.isAuthorized}`);
} catch (failure) {
  error = String(failure?.message ?? failure).slice(0, 200);
}
const invoked = performance.now();
/** CPU time of the whole process so far (boot, import, invoke): a cold start's cost that other load cannot inflate. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({ bootMs: started, importMs: imported - started, invokeMs: invoked - imported, cpuMs: cpuMs(), status, error })}\n`,
);
process.exit(0);
