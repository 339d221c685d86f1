/** How many (client, account, access type) requests one process remembers; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;

interface Remembered {
  requestId: number;
  /** Epoch ms when the request's release ends. */
  expiresAt: number;
}

/**
 * The access requests this process has filed, per (client, device, access type), until they expire: repeated
 * clicks reuse a request instead of filing a new one (and skip its round trip). Losing it (another process, a
 * restart) costs only that round trip, because `ConflictOption: reuse` answers the live request's id anyway.
 */
export class RequestMemory {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly clock: () => number) {}

  get(key: string): Remembered | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: Remembered): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_REMEMBERED) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every entry of a request (a check-in ends it for every click that shared it). */
  forgetRequest(requestId: number): void {
    for (const [key, entry] of this.entries) if (entry.requestId === requestId) this.entries.delete(key);
  }
}
