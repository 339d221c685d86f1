import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, letQueuedRequestsLeave } from '../clock.js';
import { RateLimitedError } from '../errors.js';
import { storeCall, type Table } from '../store/dynamo.js';
import { LruMap } from './lru-map.js';

export interface RateLimiterOptions {
  table: Table;
  clock: Clock;
  /** Window length. */
  windowMs: number;
  /** Told when a count made beside the work could not be stored (the work was admitted anyway). */
  warn?: (message: string, error: unknown) => void;
  /** How many subjects this process remembers (default 10,000); the least recently seen are forgotten. */
  maxSubjects?: number;
}

const DEFAULT_MAX_SUBJECTS = 10_000;

/**
 * Fixed-window counters shared by every process, in DynamoDB: one atomic `ADD` per counted event. Chosen over
 * API Gateway because HTTP APIs have no per-client usage plans, and over memory because Lambda spreads a
 * client's requests across many containers.
 */
export class RateLimiter {
  /** Subjects known to be over their limit, until the window ends: refused without a DynamoDB call. */
  private readonly blocked: LruMap<string, number>;
  /** The count DynamoDB last returned per subject in this process, with its window. */
  private readonly lastCount: LruMap<string, { windowStart: number; count: number }>;

  constructor(private readonly options: RateLimiterOptions) {
    // Subjects include source addresses, which callers choose freely (IPv6): bound what one process remembers.
    // Forgetting is safe: a forgotten subject is counted in DynamoDB before it is admitted again.
    const capacity = options.maxSubjects ?? DEFAULT_MAX_SUBJECTS;
    this.blocked = new LruMap(capacity);
    this.lastCount = new LruMap(capacity);
  }

  /** Counts one event for `subject`; throws `RateLimitedError` (with Retry-After) once over `limit`. */
  private async take(scope: string, subject: string, limit: number): Promise<void> {
    const count = await this.add(scope, subject);
    if (count > limit) this.refuse(scope, subject);
  }

  /**
   * Counts one event for `subject` and runs `work`. While the count this process last saw is under half the
   * limit, the count is stored beside the work instead of before it (a DynamoDB round trip off the API's path);
   * near the limit, and on a process's first request of a window, it is counted first and refused exactly.
   */
  async admit<T>(scope: string, subject: string, limit: number, work: () => Promise<T>): Promise<T> {
    this.check(scope, subject);
    const seen = this.lastCount.get(`${scope}#${subject}`);
    if (!seen || seen.windowStart !== this.windowStart() || seen.count >= limit / 2) {
      await this.take(scope, subject, limit);
      return work();
    }
    // The work usually sends an appliance request: start it first and let it leave before the SDK's write.
    const running = work();
    await letQueuedRequestsLeave(running);
    const counted = this.add(scope, subject).then(
      (count) => {
        // Refuses the next request at once; this one was admitted when it started.
        if (count > limit) this.blocked.set(`${scope}#${subject}`, this.windowEnd());
      },
      (error: unknown) => this.options.warn?.('a request was admitted but could not be counted', error),
    );
    const [result] = await Promise.all([running, counted]);
    return result;
  }

  /** Throws if `subject` is known to be blocked, without counting (the launch path checks before working). */
  check(scope: string, subject: string): void {
    const until = this.blocked.get(`${scope}#${subject}`);
    if (until === undefined) return;
    if (until > this.options.clock()) this.throwLimited(until);
    this.blocked.delete(`${scope}#${subject}`);
  }

  /** Counts a failure; once over `limit`, `check` refuses the subject until the window ends. */
  async countFailure(scope: string, subject: string, limit: number): Promise<void> {
    const count = await this.add(scope, subject);
    if (count > limit) this.blocked.set(`${scope}#${subject}`, this.windowEnd());
  }

  private async add(scope: string, subject: string): Promise<number> {
    const { table, windowMs } = this.options;
    const start = this.windowStart();
    const { Attributes } = await storeCall('count a rate-limited request', () =>
      table.doc.send(
        new UpdateCommand({
          TableName: table.name,
          Key: { pk: `RATE#${scope}#${subject}`, sk: String(start) },
          UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': Math.ceil((start + windowMs) / 1000) + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const count = Number(Attributes?.count ?? 1);
    this.lastCount.set(`${scope}#${subject}`, { windowStart: start, count });
    return count;
  }

  private refuse(scope: string, subject: string): never {
    const until = this.windowEnd();
    this.blocked.set(`${scope}#${subject}`, until);
    this.throwLimited(until);
  }

  private throwLimited(until: number): never {
    const seconds = Math.max(1, Math.ceil((until - this.options.clock()) / 1000));
    throw new RateLimitedError(`too many requests; retry after ${seconds} s`, seconds);
  }

  private windowStart(): number {
    return Math.floor(this.options.clock() / this.options.windowMs) * this.options.windowMs;
  }

  private windowEnd(): number {
    return this.windowStart() + this.options.windowMs;
  }
}
