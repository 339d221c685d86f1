import type { $ZodShape } from 'zod/v4/core';
import type { FieldError } from '../errors.js';
import type { ZodMiniType } from '../zod.js';
import type { HttpsTransport } from './transport.js';

/**
 * The seam between the broker and the console sources it fronts. A provider is a plain object in its own
 * folder (`shared/appliances/<kind>/`); the core (sessions, links, tickets, audit, inventory) only ever sees
 * these interfaces, and `providers.ts` is the one list of kinds.
 */

/** How the broker trusts a source's TLS certificate: exactly one of the three. */
export type TlsTrust =
  | { caPem: string; serverName?: string | undefined }
  | { fingerprint256: string }
  | { insecure: true };

/** Fields every registered appliance has, whatever its kind. */
export interface ApplianceBase {
  id: string;
  name: string;
  kind: string;
  baseUrl: string;
  tls: TlsTrust;
}

/** A logged-in session on a source. `state` is a secret: sealed at rest, never logged or returned. */
export interface ProviderSession<S = unknown> {
  /** Tells two sessions apart without revealing them (DSView's user session id; else a hash prefix). */
  id: string;
  /** Who the broker is signed in as. */
  principal: string;
  /** Epoch ms after which the session must not be used. */
  expiresAt: number;
  state: S;
}

/** A console target as the API shows it. `state` and `owner` only where the source has them. */
export interface Device {
  id: string;
  name: string;
  type: string;
  connectionPaths: string[];
  viewerTypes: string[];
  state?: string;
  owner?: string;
  /** Searchable extras (DCV tags, a Password Safe system's address); shown, never interpreted. */
  tags?: Record<string, string>;
}

/** What a technician asks to open: the contract's launch fields. Each kind accepts only the ones it uses. */
export interface ViewerRequest {
  viewerType: string;
  sharingMode?: string | undefined;
  mouseMode?: number | undefined;
  /** DCV: the user the connection token is minted for. */
  user?: string | undefined;
}

/** Who asks and why, passed to sources that record it (Password Safe `Reason`). */
export interface LaunchContext {
  clientId: string;
  reason?: string | undefined;
  /** A pending request this caller opened before (Password Safe approval), to resume instead of re-filing. */
  resume?: string | undefined;
}

/** A page the broker serves for a click. Generic parts only: the renderer owns escaping and the CSP. */
export interface ConsolePage {
  title: string;
  message: string;
  /** Links the person can follow (`vmrc://`, `ssh://`, the fallback). */
  actions?: { label: string; href: string }[];
  /** A command to copy. */
  copyText?: string;
  /** A script console (VMware HTML Console SDK): external scripts and styles, a static bootstrap, its data. */
  script?: {
    scriptUrls: string[];
    styleUrls: string[];
    /** Static JavaScript (no secret inside): it reads its inputs from the page's data attributes. */
    bootstrap: string;
    data: Record<string, string>;
    /** Origins the page may open sockets to (the ESXi host's `wss://`). */
    connectOrigins: string[];
  };
}

/**
 * What a click or a ticket request yields. `api` is the ticket API's body fields for this launch (the one
 * answer that may carry its credential). `sourceRef` is the source's own, non-secret reference for what the
 * launch opened (a Password Safe access request id): audited, and checked in when the link is revoked.
 */
export type Launch =
  | {
      kind: 'redirect';
      location: string;
      expiresAt: number;
      api: Record<string, unknown>;
      sourceRef?: string;
    }
  | { kind: 'page'; page: ConsolePage; expiresAt: number; api: Record<string, unknown>; sourceRef?: string }
  | {
      kind: 'download';
      fileName: string;
      contentType: string;
      body: string;
      expiresAt: number;
      api: Record<string, unknown>;
      sourceRef?: string;
    }
  | { kind: 'pending'; requestId: string; retryAfterSeconds: number; message: string; approver?: string };

/** The source's reference for what a launch opened, if it has one. */
export function sourceRefOf(launch: Launch): string | undefined {
  return launch.kind === 'pending' ? launch.requestId : launch.sourceRef;
}

/** The calls the broker makes on one source. One long-lived client (and keep-alive pool) per appliance. */
export interface ProviderClient<C = unknown, S = unknown> {
  login(credentials: C): Promise<ProviderSession<S>>;
  listDevices(session: ProviderSession<S>, filter?: { type?: string }): Promise<DeviceListing>;
  launch(
    session: ProviderSession<S>,
    device: Device,
    request: ViewerRequest,
    context: LaunchContext,
  ): Promise<Launch>;
  /**
   * The source reference a launch with these arguments will carry, when the client already knows it (Password
   * Safe's remembered access request); optional. The audit event is then written once, with it, instead of
   * twice.
   */
  expectedSourceRef?(device: Device, request: ViewerRequest, context: LaunchContext): string | undefined;
  /** Ends what a pending launch opened (Password Safe check-in); optional. */
  release?(session: ProviderSession<S>, requestId: string): Promise<void>;
  /** Ends the session at the source, where it has a sign-out (best effort). */
  logout?(session: ProviderSession<S>): Promise<void>;
  close(): Promise<void>;
}

/** A listing, and whether it is known to be every device (the sync removes nothing after an incomplete one). */
export interface DeviceListing {
  devices: Device[];
  complete: boolean;
}

/** One kind of console source. */
export interface ApplianceProvider<A extends ApplianceBase = ApplianceBase, C = unknown, S = unknown> {
  readonly kind: A['kind'];
  /** For people: OpenAPI text, CLI help. */
  readonly title: string;
  readonly viewerTypes: readonly string[];
  /** What one registration can open, where that is less than `viewerTypes` (a vCenter without htmlConsole). */
  viewerTypesOf?(appliance: A): readonly string[];
  readonly schemas: {
    /** The registered record: base fields, the kind literal and the kind's own fields (flat). */
    appliance: ZodMiniType<A>;
    /** The secret's JSON. `secretFields` names the fields the CLI reads from stdin, never from argv. */
    credentials: ZodMiniType<C>;
    /** The session state as sealed at rest; re-parsed on every read so a changed shape costs a login. */
    state: ZodMiniType<S>;
  };
  readonly secretFields: readonly string[];
  /**
   * The kind's own optional launch fields (DSView `sharingMode`, `mouseMode`; DCV `user`), merged into the
   * ticket and link request bodies and the OpenAPI document. `validate` refuses them on other kinds.
   */
  readonly requestFields: $ZodShape;
  client(appliance: A, transport: HttpsTransport): ProviderClient<C, S>;
  /** Rules that need no source call; each error names a request field (400). */
  validate(device: Device, appliance: A, request: ViewerRequest): FieldError[];
  /** Where a person can still go when nothing could be minted (the source's own login page). */
  fallbackUrl(appliance: A, device: { id: string }, request: ViewerRequest): string;
}

/** A provider whose appliance, credential and state types are not known at the call site (generic code). */
// biome-ignore lint/suspicious/noExplicitAny: the one place kinds are erased; each provider is typed in its folder.
export type AnyProvider = ApplianceProvider<any, any, any>;
