import type { Device, Launch } from '../provider.js';
import type { SessionTicket } from './schemas.js';

/** How often a waiting page and a ticket client ask again while an approver decides. */
export const PENDING_RETRY_SECONDS = 30;

/** The system part of a device name (`WIN-DC01\Administrator` → `WIN-DC01`): the RDP file is named after it. */
export function systemNameOf(device: Pick<Device, 'name' | 'id'>): string {
  return device.name.split('\\', 1)[0] || device.id;
}

/** The host, port and ticket an RDP file points at, as far as its lines say (the exact lines are UNCONFIRMED). */
export function rdpFileFacts(file: string): { host?: string; port?: number; ticket?: string } {
  const value = (name: string) => new RegExp(`^${name}:s:(.*)$`, 'im').exec(file)?.[1]?.trim() || undefined;
  const facts: { host?: string; port?: number; ticket?: string } = {};
  const address = value('full address');
  if (address) {
    const match = /^(.*?)(?::(\d{1,5}))?$/.exec(address);
    if (match?.[1]) facts.host = match[1];
    if (match?.[2]) facts.port = Number(match[2]);
  }
  const ticket = value('username');
  if (ticket) facts.ticket = ticket;
  return facts;
}

/** An `rdpfile` session: the file itself, downloaded. */
export function rdpLaunch(device: Device, file: string, expiresAt: number, requestId?: number): Launch {
  return {
    kind: 'download',
    ...(requestId === undefined ? {} : { sourceRef: String(requestId) }),
    fileName: `${systemNameOf(device)}.rdp`,
    contentType: 'application/x-rdp',
    body: file,
    expiresAt,
    api: { ...rdpFileFacts(file), rdpFile: file },
  };
}

/**
 * An `sshticket` session: a page with the command to copy and an `ssh://` link. The session proxy takes the
 * ticket as the user name; the session's own `Command` is preferred when it gives one.
 */
export function sshLaunch(
  device: Device,
  session: SessionTicket,
  expiresAt: number,
  requestId?: number,
): Launch {
  const port = Number(session.Port);
  const host = session.Host.includes(':') ? `[${session.Host}]` : session.Host;
  const command = session.Command?.trim() || `ssh -p ${port} ${session.Ticket}@${session.Host}`;
  const launchUrl = `ssh://${encodeURIComponent(session.Ticket)}@${host}:${port}`;
  return {
    kind: 'page',
    ...(requestId === undefined ? {} : { sourceRef: String(requestId) }),
    page: {
      title: `SSH to ${device.name}`,
      message:
        'Open the link with your SSH client, or copy the command into a terminal. The ticket works for one connection.',
      copyText: command,
      actions: [{ label: 'Open in your SSH client', href: launchUrl }],
    },
    expiresAt,
    api: { ticket: session.Ticket, host: session.Host, port, command, launchUrl },
  };
}

/** Waiting for an approver: the same request is asked again, nothing is filed twice. */
export function pendingLaunch(device: Device, viewerType: string, requestId: number): Launch {
  return {
    kind: 'pending',
    requestId: String(requestId),
    retryAfterSeconds: PENDING_RETRY_SECONDS,
    message: `The ${viewerType} access request ${requestId} for ${device.name} waits for an approver in Password Safe (the account's access policy names who approves).`,
  };
}
