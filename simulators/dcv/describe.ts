import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValuePair, SimSession } from './sessions.js';

/**
 * Page size when `MaxResults` is absent. The OpenAPI model gives no default for DescribeSessions; the guide
 * documents `Default: 1000` for the sibling DescribeServers, so the simulator uses the same.
 */
export const DEFAULT_MAX_RESULTS = 1000;
export const MAX_RESULTS_LIMIT = 1000;

export interface DescribeRequest {
  sessionIds: string[];
  filters: KeyValuePair[];
  maxResults: number;
  nextToken: string | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A generated client serialises unset fields as `null` (Java) or drops them (Python); both mean "absent". */
function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function parseFilters(value: unknown): KeyValuePair[] | string {
  if (!Array.isArray(value)) return 'Filters must be an array of {Key, Value}';
  const filters: KeyValuePair[] = [];
  for (const item of value) {
    if (!isObject(item) || typeof item['Key'] !== 'string' || typeof item['Value'] !== 'string') {
      return 'each filter must be {"Key": string, "Value": string}';
    }
    const key = item['Key'];
    // The model documents exactly these two filter names; anything else is a client bug worth surfacing.
    if (key !== 'owner' && !/^tag:.+$/.test(key)) return `unsupported filter ${key} (owner or tag:<key>)`;
    filters.push({ Key: key, Value: item['Value'] });
  }
  return filters;
}

/** Validates a DescribeSessions body (already parsed; `{}` when the body was empty). */
export function parseDescribeRequest(body: unknown): DescribeRequest | string {
  if (!isObject(body)) return 'the request body must be a JSON object';
  const request: DescribeRequest = {
    sessionIds: [],
    filters: [],
    maxResults: DEFAULT_MAX_RESULTS,
    nextToken: undefined,
  };
  const { SessionIds, Filters, MaxResults, NextToken } = body;
  if (given(SessionIds)) {
    if (!Array.isArray(SessionIds) || !SessionIds.every((id) => typeof id === 'string')) {
      return 'SessionIds must be an array of strings';
    }
    request.sessionIds = SessionIds;
  }
  if (given(Filters)) {
    const filters = parseFilters(Filters);
    if (typeof filters === 'string') return filters;
    request.filters = filters;
  }
  if (given(MaxResults)) {
    if (
      typeof MaxResults !== 'number' ||
      !Number.isInteger(MaxResults) ||
      MaxResults < 1 ||
      MaxResults > MAX_RESULTS_LIMIT
    ) {
      return `MaxResults must be an integer between 1 and ${MAX_RESULTS_LIMIT}`;
    }
    request.maxResults = MaxResults;
  }
  if (given(NextToken)) {
    if (typeof NextToken !== 'string') return 'NextToken must be a string';
    request.nextToken = NextToken;
  }
  return request;
}

function matches(session: SimSession, request: DescribeRequest, ids: Set<string> | undefined): boolean {
  if (ids && !ids.has(session.Id)) return false;
  // Filters combine with AND: the documented example (owner + tag:os) narrows, it does not widen.
  return request.filters.every((filter) => {
    if (filter.Key === 'owner') return session.Owner === filter.Value;
    const tagKey = filter.Key.slice('tag:'.length);
    return session.Tags.some((tag) => tag.Key === tagKey && tag.Value === filter.Value);
  });
}

/**
 * Issues and checks `NextToken`s. A token is opaque to clients but self-contained here: an offset and the query
 * it belongs to, under an HMAC, so a forged token or one replayed with different SessionIds/Filters is refused.
 */
export class Pager {
  private readonly key = randomBytes(32);

  page(
    sessions: readonly SimSession[],
    request: DescribeRequest,
  ): { page: SimSession[]; nextToken: string | null } | string {
    const query = this.queryKey(request);
    let offset = 0;
    if (request.nextToken !== undefined) {
      const decoded = this.decode(request.nextToken, query);
      if (decoded === undefined) return 'NextToken is not valid for this request';
      offset = decoded;
    }
    const ids = request.sessionIds.length > 0 ? new Set(request.sessionIds) : undefined;
    const selected = sessions.filter((session) => matches(session, request, ids));
    const end = offset + request.maxResults;
    return {
      page: selected.slice(offset, end),
      nextToken: end < selected.length ? this.encode(end, query) : null,
    };
  }

  private queryKey(request: DescribeRequest): string {
    const canonical = JSON.stringify([request.sessionIds, request.filters.map((f) => [f.Key, f.Value])]);
    return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, 16);
  }

  private encode(offset: number, query: string): string {
    const payload = `${offset}.${query}`;
    return `${Buffer.from(payload).toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  private decode(token: string, query: string): number | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const payload = Buffer.from(body, 'base64url').toString('utf8');
    const expected = this.mac(payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const match = /^(\d+)\.(.+)$/.exec(payload);
    if (!match || match[2] !== query) return undefined;
    return Number(match[1]);
  }
}
