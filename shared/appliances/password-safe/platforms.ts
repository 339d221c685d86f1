/**
 * Which console a managed account's platform takes. `ManagedAccounts` rows carry only `PlatformID`, and no public
 * source lists the ids; these are the ones the simulator uses (and docs/providers.md names). An id not listed
 * here offers both viewer types and is typed `PLATFORM_<id>`: the source then refuses what the platform cannot do.
 */
export interface PlatformFacts {
  /** The device `type`, a programmatic name. */
  type: string;
  viewerTypes: readonly ViewerType[];
}

export const VIEWER_TYPES = ['RDP', 'SSH'] as const;
export type ViewerType = (typeof VIEWER_TYPES)[number];

const KNOWN_PLATFORMS: ReadonlyMap<number, PlatformFacts> = new Map([
  [1, { type: 'WINDOWS', viewerTypes: ['RDP'] }],
  [2, { type: 'LINUX', viewerTypes: ['SSH'] }],
  [5, { type: 'CISCO', viewerTypes: ['SSH'] }],
]);

export function platformFacts(platformId: number): PlatformFacts {
  return (
    KNOWN_PLATFORMS.get(platformId) ?? {
      type: `PLATFORM_${Math.abs(platformId)}`,
      viewerTypes: VIEWER_TYPES,
    }
  );
}
