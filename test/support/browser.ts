import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium: Playwright's own browser download does not work here. */
export const CHROMIUM = '/usr/bin/chromium';
/** Browser tests `it.skipIf(!chromiumAvailable)`, so a machine without Chromium still runs the rest. */
export const chromiumAvailable = existsSync(CHROMIUM);

if (!chromiumAvailable) {
  console.warn(
    `browser tests skipped: ${CHROMIUM} does not exist (apt-get install -y --no-install-recommends chromium)`,
  );
}

/** Flags that keep a headless Chromium off the network except for the pages a test opens. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumOptions {
  /** Accept self-signed certificates (a simulator's or fixture server's): for the test's loopback servers only. */
  acceptSelfSigned?: boolean;
  /** Names the throwaway profile directory, to tell which test left one behind. */
  profilePrefix?: string;
}

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile; call only when `chromiumAvailable`. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), options.profilePrefix ?? 'clb-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      ignoreHTTPSErrors: options.acceptSelfSigned ?? false,
      timeout: 20_000,
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
