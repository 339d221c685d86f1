import { isPowerState, type SimVm } from './inventory.js';
import type { Family } from './vapi.js';

/** The list call's filter names and the VM property each one matches. */
const FILTER_FIELDS = {
  vms: 'vm',
  names: 'name',
  folders: 'folder',
  datacenters: 'datacenter',
  hosts: 'host',
  clusters: 'cluster',
  resource_pools: 'resource_pool',
  power_states: 'power_state',
} as const satisfies Record<string, keyof SimVm>;
type FilterName = keyof typeof FILTER_FIELDS;

export type VmFilter = Partial<Record<FilterName, Set<string>>>;

function isFilterName(name: string): name is FilterName {
  return Object.hasOwn(FILTER_FIELDS, name);
}

/** The filter name a query parameter names: `names` on `/api`, `filter.names` or `filter.names.1` on `/rest`. */
function filterName(family: Family, parameter: string): FilterName | undefined {
  const name = family === 'api' ? parameter : /^filter\.([a-z_]+)(?:\.\d+)?$/.exec(parameter)?.[1];
  return name !== undefined && isFilterName(name) ? name : undefined;
}

/**
 * Reads the list filters from a query string; each is a set of accepted values. Returns the reason when a
 * parameter is unknown or a power state is not one vCenter knows, so a client's wrong encoding is caught.
 */
export function parseVmFilter(family: Family, params: URLSearchParams): VmFilter | string {
  const filter: VmFilter = {};
  for (const [parameter, value] of params) {
    const name = filterName(family, parameter);
    if (!name) return `Unexpected parameter ${parameter}.`;
    if (name === 'power_states' && !isPowerState(value)) return `Invalid power state ${value}.`;
    const values = filter[name] ?? new Set<string>();
    values.add(value);
    filter[name] = values;
  }
  return filter;
}

/** Whether a VM passes every given filter (filters are ANDed, the values of one filter ORed). */
export function matchesFilter(vm: SimVm, filter: VmFilter): boolean {
  for (const [name, values] of Object.entries(filter) as [FilterName, Set<string>][]) {
    if (!values.has(String(vm[FILTER_FIELDS[name]]))) return false;
  }
  return true;
}
