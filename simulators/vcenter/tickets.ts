import { randomBytes, randomUUID } from 'node:crypto';

export const TICKET_TYPES = ['VMRC', 'WEBMKS'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

/** What spending a ticket found: only the first spend of a live ticket opens a console. */
export type Redemption = 'ok' | 'used' | 'expired' | 'unknown';

interface Ticket {
  expiresAt: number;
  used: boolean;
}

export interface Minted {
  uri: string;
  /** The secret part of the URI (the clone ticket or the WEBMKS ticket), for the secrets-leak sweep. */
  token: string;
}

/** Where minted URIs point: the vCenter for VMRC, the ESXi host for WEBMKS (`host:port` each). */
export interface TicketHosts {
  vcenterHost: string;
  esxHost: string;
  /** The vCenter certificate's SHA-1 thumbprint as `AA-BB-...`, which a VMRC clone ticket carries. */
  thumbprint: string;
}

/** Console tickets: one-time-use URIs, each valid for `ttlMs` from minting. */
export class TicketBook {
  private readonly tickets = new Map<string, Ticket>();
  private readonly webmksUris = new Map<string, string>();
  private pruneAt = 1024;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  mint(type: TicketType, vm: string, hosts: TicketHosts): Minted {
    if (this.tickets.size >= this.pruneAt) this.prune();
    let minted: Minted;
    if (type === 'VMRC') {
      const token = `cst-VCT-${randomUUID()}--tp-${hosts.thumbprint}`;
      minted = { token, uri: `vmrc://clone:${token}@${hosts.vcenterHost}/?moid=${encodeURIComponent(vm)}` };
    } else {
      const token = randomBytes(16).toString('hex');
      minted = { token, uri: `wss://${hosts.esxHost}/ticket/${token}` };
      this.webmksUris.set(token, minted.uri);
    }
    this.tickets.set(minted.uri, { expiresAt: this.now() + this.ttlMs, used: false });
    return minted;
  }

  /** Spends the ticket a URI carries; marks it used when the answer is 'ok'. */
  redeem(uri: string): Redemption {
    const ticket = this.tickets.get(uri);
    if (!ticket) return 'unknown';
    if (ticket.used) return 'used';
    if (this.now() >= ticket.expiresAt) return 'expired';
    ticket.used = true;
    return 'ok';
  }

  /** Spends a WEBMKS ticket by the hex the `/ticket/<hex>` websocket path carries. */
  redeemWebmks(token: string): Redemption {
    const uri = this.webmksUris.get(token);
    return uri === undefined ? 'unknown' : this.redeem(uri);
  }

  private prune(): void {
    const now = this.now();
    for (const [uri, ticket] of this.tickets) {
      if (ticket.expiresAt <= now) this.tickets.delete(uri);
    }
    for (const [token, uri] of this.webmksUris) {
      if (!this.tickets.has(uri)) this.webmksUris.delete(token);
    }
    // Doubling keeps pruning amortised O(1) when many tickets are legitimately live (benchmarks).
    this.pruneAt = Math.max(1024, this.tickets.size * 2);
  }
}
