import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, letQueuedRequestsLeave } from '../clock.js';
import { InvalidInputError } from '../errors.js';
import type { CursorCodec } from '../pagination/cursor.js';
import { storeCall, type Table } from '../store/dynamo.js';

export const AUDIT_OUTCOMES = [
  'redirected',
  'ticket_issued',
  'pending_approval',
  'device_unavailable',
  'expired',
  'used',
  'revoked',
  'not_found',
  'appliance_error',
  'appliance_timeout',
  /** A link was created (by `clientId`); not a launch. */
  'link_created',
  /** A click on a link whose creator is revoked, lacks links:create or may no longer use the appliance. */
  'creator_revoked',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One launch attempt, or a link's creation. Never carries a token, ticket or JWT. */
export interface AuditEvent {
  id: string;
  at: string;
  clientId?: string | undefined;
  linkId?: string | undefined;
  /** On a click: the client that created the link (the trail names where a clicked link came from). */
  createdBy?: string | undefined;
  /** On `link_created`: the link's lifetime, whether one click uses it up, whether it asks for a confirmation. */
  ttlSeconds?: number | undefined;
  singleUse?: boolean | undefined;
  confirm?: boolean | undefined;
  /** Absent only for `not_found`: an unknown token names no appliance or device. */
  applianceId?: string | undefined;
  deviceId?: string | undefined;
  viewerType?: string | undefined;
  sharingMode?: string | undefined;
  mouseMode?: number | undefined;
  /** DCV: the user the connection token was minted for. */
  user?: string | undefined;
  /** Why, in the caller's words (an incident number); `GET /v1/audit?reason=` finds it. */
  reason?: string | undefined;
  /** The source's own reference for what it opened (a Password Safe request id), never a credential. */
  sourceRef?: string | undefined;
  outcome: AuditOutcome;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export type AuditInput = Omit<AuditEvent, 'id' | 'at'>;

/** Who made a request, as the audit trail records it. */
export interface RequestSource {
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditQuery {
  applianceId?: string | undefined;
  reason?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AuditLogOptions {
  table: Table;
  clock: Clock;
  retentionDays: number;
  cursors: CursorCodec;
  /** Where the structured copy of every event goes. */
  log: (event: AuditEvent) => void;
  /** Told when an event reached the log but not the table, so a store outage never hides a launch. */
  warn: (message: string, error: unknown) => void;
}

/** The launch audit trail: DynamoDB items with a retention TTL, plus one structured log line each. */
export class AuditLog {
  constructor(private readonly options: AuditLogOptions) {}

  /** Records an event; the user agent is truncated so a hostile client cannot bloat the trail. */
  async record(input: AuditInput): Promise<AuditEvent> {
    const event = this.build(input);
    this.options.log(event);
    await this.put(event);
    return event;
  }

  /** Records an event on a path that must answer anyway (refusals): a store failure is logged, not thrown. */
  async recordBestEffort(input: AuditInput): Promise<void> {
    await this.record(input).catch((error) => this.options.warn('audit event kept only in the log', error));
  }

  /**
   * Audits `work` without adding a round trip: the success event is written while the work runs, and replaced
   * by the failure outcome (same event id) if the work fails. Only the final outcome is logged.
   */
  async around<T>(
    input: AuditInput,
    work: () => Promise<T>,
    failure: (error: unknown) => AuditOutcome,
    success?: (result: T) => AuditOutcome,
    /** What the result adds to the event (a source's reference); adding anything costs a second write. */
    details?: (result: T) => Partial<AuditInput>,
  ): Promise<T> {
    const event = this.build(input);
    // The work usually sends an appliance request: start it first and let it leave before the SDK's write.
    const running = work();
    await letQueuedRequestsLeave(running);
    const written = this.put(event);
    let result: T;
    try {
      result = await running;
    } catch (error) {
      await written.catch(() => undefined);
      const failed = { ...event, outcome: failure(error) };
      this.options.log(failed);
      await this.put(failed).catch((storeError) =>
        this.options.warn('audit event kept only in the log', storeError),
      );
      throw error;
    }
    // The optimistic write assumed the usual outcome and nothing more; a different outcome (an approval wait)
    // or a detail only the result knows replaces it, under the same event id.
    const outcome = success?.(result) ?? event.outcome;
    const extra = details?.(result) ?? {};
    if (outcome !== event.outcome || Object.keys(extra).length > 0) {
      await written.catch(() => undefined);
      const final = { ...event, ...extra, outcome };
      this.options.log(final);
      await this.put(final);
      return result;
    }
    this.options.log(event);
    await written;
    return result;
  }

  private build(input: AuditInput): AuditEvent {
    return {
      ...input,
      userAgent: input.userAgent?.slice(0, 512),
      id: randomUUID(),
      at: new Date(this.options.clock()).toISOString(),
    };
  }

  private async put(event: AuditEvent): Promise<void> {
    const sort = `${event.at}#${event.id}`;
    const { table } = this.options;
    await storeCall('write an audit event', () =>
      table.doc.send(
        new PutCommand({
          TableName: table.name,
          Item: {
            pk: 'AUDIT',
            sk: sort,
            ...(event.applianceId ? { gsi1pk: `AUDIT#${event.applianceId}`, gsi1sk: sort } : {}),
            ttl: Math.ceil(Date.parse(event.at) / 1000) + this.options.retentionDays * 86_400,
            event,
          },
        }),
      ),
    );
  }

  /**
   * Events newest first, optionally for one appliance and a time window (inclusive), one page at a time. The
   * cursor is bound to the query it came from: replayed against another filter or window it is a 400.
   */
  async query(query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor?: string }> {
    const { table, cursors } = this.options;
    // Sort keys hold millisecond ISO instants; bounds of any precision are normalised to the same form, so
    // `…T10:00:00Z` means `…T10:00:00.000Z` (a plain string comparison would put it after `…T10:00:00.5Z`).
    const from = query.from === undefined ? '0000' : instant(query.from, 'from', 'ceil');
    const to = query.to === undefined ? '9999' : instant(query.to, 'to', 'floor');
    if (from > to) throw new InvalidInputError([{ field: 'to', message: 'must not be before from' }]);
    const scope = `audit:${query.applianceId ?? '*'}:${from}:${to}:${query.reason ?? ''}`;
    const start = query.cursor ? await cursors.decode(query.cursor, scope) : undefined;
    const byAppliance = query.applianceId !== undefined;
    const pk = byAppliance ? 'gsi1pk' : 'pk';
    const sk = byAppliance ? 'gsi1sk' : 'sk';
    const page = await storeCall('read the audit trail', () =>
      table.doc.send(
        new QueryCommand({
          TableName: table.name,
          ...(byAppliance ? { IndexName: 'gsi1' } : {}),
          KeyConditionExpression: `${pk} = :pk AND ${sk} BETWEEN :from AND :to`,
          ExpressionAttributeValues: {
            ':pk': byAppliance ? `AUDIT#${query.applianceId}` : 'AUDIT',
            ':from': from,
            ':to': `${to}\uffff`,
            ...(query.reason === undefined ? {} : { ':reason': query.reason }),
          },
          ...(query.reason === undefined
            ? {}
            : {
                // A filter, not a key: a page may hold fewer than `limit` events; the cursor goes on.
                FilterExpression: '#event.#reason = :reason',
                ExpressionAttributeNames: { '#event': 'event', '#reason': 'reason' },
              }),
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: start,
        }),
      ),
    );
    const events = (page.Items ?? []).map((item) => item.event as AuditEvent);
    return page.LastEvaluatedKey
      ? { events, nextCursor: await cursors.encode(page.LastEvaluatedKey, scope) }
      : { events };
  }
}

/**
 * An ISO instant (already validated) as the millisecond form events are stored with. Digits past the
 * millisecond round down for an upper bound and up for a lower one, so the window never widens.
 */
function instant(text: string, field: 'from' | 'to', round: 'floor' | 'ceil'): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidInputError([{ field, message: 'is not a date-time' }]);
  const beyondMs = /\.\d{3}(\d+)/.exec(text)?.[1] ?? '';
  const up = round === 'ceil' && /[1-9]/.test(beyondMs) ? 1 : 0;
  return new Date(ms + up).toISOString();
}
