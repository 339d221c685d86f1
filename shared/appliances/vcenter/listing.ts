import { ApplianceAuthError, ApplianceError } from '../errors.js';
import { TOO_MANY, type VcenterClient, type VmSummary } from './client.js';
import { POWER_STATES } from './schemas.js';

/** Folder-split list calls in flight at once: enough to be quick, few enough not to crowd vCenter. */
const FOLDER_CONCURRENCY = 4;

/** A part vCenter failed (other than a lapsed session). */
const FAILED: unique symbol = Symbol('failed');

export interface VmListing {
  vms: VmSummary[];
  /** False when any part could still be capped, or failed: the inventory sync then removes nothing. */
  complete: boolean;
}

/**
 * Every VM, despite the list call's cap (it has no paging: over 4000 matches it fails with
 * UNABLE_TO_ALLOCATE_RESOURCE). One call first; over the cap, one call per power state (the three states are
 * the documented enum, so those parts are every VM); a state still over the cap, one call per VM folder.
 *
 * A folder split is never reported complete: VMs inside a vApp have no VM folder as their parent, and whether
 * the `folders` filter reaches into sub-folders is not documented, so nothing proves such a listing whole.
 * A lapsed session (ApplianceAuthError) fails the whole listing, so the core logs in again and retries; any
 * other failure of a part only makes the listing incomplete.
 */
export async function listEveryVm(client: VcenterClient, sessionId: string): Promise<VmListing> {
  const whole = await client.listVms(sessionId);
  if (whole !== TOO_MANY) return { vms: whole, complete: true };
  const byState = await Promise.all(
    POWER_STATES.map(async (state) => ({
      state,
      part: await partOrFailure(() => client.listVms(sessionId, { power_states: [state] })),
    })),
  );
  const merged = new Map<string, VmSummary>();
  let complete = true;
  const capped: string[] = [];
  for (const { state, part } of byState) {
    if (Array.isArray(part)) for (const vm of part) merged.set(vm.vm, vm);
    else if (part === TOO_MANY) capped.push(state);
    else complete = false;
  }
  if (capped.length) {
    complete = false;
    await listCappedStatesByFolder(client, sessionId, capped, merged);
  }
  return { vms: [...merged.values()], complete };
}

async function listCappedStatesByFolder(
  client: VcenterClient,
  sessionId: string,
  states: string[],
  into: Map<string, VmSummary>,
): Promise<void> {
  const folders = await partOrFailure(() => client.listVmFolders(sessionId));
  if (folders === TOO_MANY || folders === FAILED) return;
  const work = states.flatMap((state) => folders.map((folder) => ({ state, folder })));
  const next = () => work.shift();
  const worker = async () => {
    for (let item = next(); item; item = next()) {
      const { state, folder } = item;
      const part = await partOrFailure(() =>
        client.listVms(sessionId, { power_states: [state], folders: [folder] }),
      );
      if (Array.isArray(part)) for (const vm of part) into.set(vm.vm, vm);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FOLDER_CONCURRENCY, work.length) }, worker));
}

/**
 * A part's answer, or FAILED when vCenter failed it; a lapsed session must reach the core's retry, and
 * anything that is not vCenter's failure (a bug) is not hidden.
 */
async function partOrFailure<T>(call: () => Promise<T>): Promise<T | typeof FAILED> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApplianceError && !(error instanceof ApplianceAuthError)) return FAILED;
    throw error;
  }
}
