/**
 * The seam between the broker and the consoles it fronts. DSView is the first provider; vCenter, NICE DCV
 * and BeyondTrust later implement the same client shape with their own device and ticket semantics.
 */
export const VIEWER_TYPES = ['KVM', 'SERIAL', 'VM'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];

export const SHARING_MODES = ['ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH', 'STANDALONE_PASSIVE'] as const;
export type SharingMode = (typeof SHARING_MODES)[number];

export const MOUSE_MODES = [0, 1, 2] as const;
export type MouseMode = (typeof MOUSE_MODES)[number];

export const PLATFORMS = ['MP1000', 'MP1000VA', 'RM1048P'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** How the broker trusts an appliance's TLS certificate: exactly one of the three. */
export type TlsTrust = { caPem: string } | { fingerprint256: string } | { insecure: true };

/** What the broker knows about a registered appliance (credentials live elsewhere). */
export interface Appliance {
  id: string;
  name: string;
  baseUrl: string;
  platform: Platform;
  firmwareVersion: string;
  tls: TlsTrust;
}

export interface Credentials {
  username: string;
  password: string;
}

/** A logged-in appliance session. `jwt` is a secret: never log or return it. */
export interface ApplianceSession {
  userSessionId: string;
  username: string;
  jwt: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A console target as the broker's API shows it. */
export interface Device {
  id: string;
  name: string;
  type: string;
  connectionPaths: string[];
  viewerTypes: ViewerType[];
}

/** A one-time viewer ticket. `ticket` is a secret outside the one response that carries it. */
export interface ViewerTicket {
  ticket: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** What a technician asks to open. */
export interface ViewerRequest {
  viewerType: ViewerType;
  sharingMode?: SharingMode | undefined;
  mouseMode?: MouseMode | undefined;
}

/** The calls a broker needs from one appliance. */
export interface ApplianceClient {
  login(credentials: Credentials): Promise<ApplianceSession>;
  listDevices(session: ApplianceSession, options?: { types?: readonly string[] }): Promise<Device[]>;
  createTicket(session: ApplianceSession): Promise<ViewerTicket>;
  close(): Promise<void>;
}
