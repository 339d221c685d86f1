import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MouseMode, SharingMode, ViewerType } from '../appliances/types.js';
import type { Clock } from '../clock.js';
import type { CursorCodec } from '../pagination/cursor.js';
import { storeCall, type Table } from '../store/dynamo.js';

export const AUDIT_OUTCOMES = [
  'redirected',
  'ticket_issued',
  'expired',
  'used',
  'revoked',
  'not_found',
  'appliance_error',
  'appliance_timeout',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One launch attempt. Never carries a token, ticket or JWT. */
export interface AuditEvent {
  id: string;
  at: string;
  clientId?: string | undefined;
  linkId?: string | undefined;
  applianceId: string;
  deviceId: string;
  viewerType?: ViewerType | undefined;
  sharingMode?: SharingMode | undefined;
  mouseMode?: MouseMode | undefined;
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
}

/** The launch audit trail: DynamoDB items with a retention TTL, plus one structured log line each. */
export class AuditLog {
  constructor(private readonly options: AuditLogOptions) {}

  /** Records an event; the user agent is truncated so a hostile client cannot bloat the trail. */
  async record(input: AuditInput): Promise<AuditEvent> {
    const now = this.options.clock();
    const event: AuditEvent = {
      ...input,
      userAgent: input.userAgent?.slice(0, 512),
      id: randomUUID(),
      at: new Date(now).toISOString(),
    };
    const sort = `${event.at}#${event.id}`;
    this.options.log(event);
    const { table } = this.options;
    await storeCall('write an audit event', () =>
      table.doc.send(
        new PutCommand({
          TableName: table.name,
          Item: {
            pk: 'AUDIT',
            sk: sort,
            gsi1pk: `AUDIT#${event.applianceId}`,
            gsi1sk: sort,
            ttl: Math.ceil(now / 1000) + this.options.retentionDays * 86_400,
            event,
          },
        }),
      ),
    );
    return event;
  }

  /** Events newest first, optionally for one appliance and a time window, one page at a time. */
  async query(query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor?: string }> {
    const { table, cursors } = this.options;
    const start = query.cursor ? cursors.decode(query.cursor, 'audit') : undefined;
    const byAppliance = query.applianceId !== undefined;
    const pk = byAppliance ? 'gsi1pk' : 'pk';
    const sk = byAppliance ? 'gsi1sk' : 'sk';
    const from = query.from ?? '0000';
    const to = `${query.to ?? '9999'}\uffff`;
    const page = await storeCall('read the audit trail', () =>
      table.doc.send(
        new QueryCommand({
          TableName: table.name,
          ...(byAppliance ? { IndexName: 'gsi1' } : {}),
          KeyConditionExpression: `${pk} = :pk AND ${sk} BETWEEN :from AND :to`,
          ExpressionAttributeValues: {
            ':pk': byAppliance ? `AUDIT#${query.applianceId}` : 'AUDIT',
            ':from': from,
            ':to': to,
          },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: start,
        }),
      ),
    );
    const events = (page.Items ?? []).map((item) => item.event as AuditEvent);
    return page.LastEvaluatedKey
      ? { events, nextCursor: cursors.encode(page.LastEvaluatedKey, 'audit') }
      : { events };
  }
}
