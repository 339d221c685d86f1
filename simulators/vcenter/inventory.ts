/** `power_state` values the VM list reports. */
export const POWER_STATES = ['POWERED_ON', 'POWERED_OFF', 'SUSPENDED'] as const;
export type PowerState = (typeof POWER_STATES)[number];

/**
 * One simulated virtual machine: the summary the list call returns (`vm`, `name`, `power_state`, optional
 * `cpu_count`/`memory_size_MiB`) plus the inventory placement its filters match on.
 */
export interface SimVm {
  vm: string;
  name: string;
  power_state: PowerState;
  /** Unset when the VM's configuration cannot be read; the list then omits it. */
  cpu_count?: number;
  memory_size_MiB?: number;
  folder: string;
  host: string;
  cluster: string;
  datacenter: string;
  resource_pool: string;
}

/** The summary fields `GET /api/vcenter/vm` returns for one VM, in the order vCenter prints them. */
export interface VmSummary {
  vm: string;
  name: string;
  power_state: PowerState;
  cpu_count?: number;
  memory_size_MiB?: number;
}

export function isPowerState(value: unknown): value is PowerState {
  return (POWER_STATES as readonly unknown[]).includes(value);
}

export function vmSummary(vm: SimVm): VmSummary {
  const summary: VmSummary = { vm: vm.vm, name: vm.name, power_state: vm.power_state };
  if (vm.cpu_count !== undefined) summary.cpu_count = vm.cpu_count;
  if (vm.memory_size_MiB !== undefined) summary.memory_size_MiB = vm.memory_size_MiB;
  return summary;
}

const PLACEMENT = {
  cluster: 'domain-c7',
  datacenter: 'datacenter-2',
  resource_pool: 'resgroup-8',
} as const;

/** A small lab: every power state, two folders, and one VM whose configuration is unreadable. */
export function standardInventory(): SimVm[] {
  return [
    {
      vm: 'vm-42',
      name: 'web01',
      power_state: 'POWERED_ON',
      cpu_count: 2,
      memory_size_MiB: 4096,
      folder: 'group-v3',
      host: 'host-10',
      ...PLACEMENT,
    },
    {
      vm: 'vm-43',
      name: 'db01',
      power_state: 'POWERED_OFF',
      cpu_count: 4,
      memory_size_MiB: 16384,
      folder: 'group-v3',
      host: 'host-10',
      ...PLACEMENT,
    },
    {
      vm: 'vm-44',
      name: 'build01',
      power_state: 'SUSPENDED',
      cpu_count: 8,
      memory_size_MiB: 8192,
      folder: 'group-v4',
      host: 'host-11',
      ...PLACEMENT,
    },
    {
      vm: 'vm-45',
      name: 'app01',
      power_state: 'POWERED_ON',
      cpu_count: 2,
      memory_size_MiB: 2048,
      folder: 'group-v4',
      host: 'host-11',
      ...PLACEMENT,
    },
    {
      vm: 'vm-46',
      name: 'orphan01',
      power_state: 'POWERED_ON',
      folder: 'group-v4',
      host: 'host-11',
      ...PLACEMENT,
    },
  ];
}

/** Folders a generated inventory spreads its VMs over, so a client can split an over-limit listing by folder. */
export const GENERATED_FOLDERS = ['group-v3', 'group-v4', 'group-v5', 'group-v6'] as const;

const NAME_PREFIXES = ['web', 'db', 'app', 'build', 'cache'] as const;
// Three in five on, so a powered-on listing of a large inventory still needs a second split (by folder).
const POWER_CYCLE: readonly PowerState[] = [
  'POWERED_ON',
  'POWERED_OFF',
  'POWERED_ON',
  'SUSPENDED',
  'POWERED_ON',
];

/**
 * `count` VMs with stable ids `vm-1000`, `vm-1001`, ... and names `web-0000`, `db-0001`, ...: the same count
 * always yields the same inventory, with mixed power states, folders and hosts, and every 97th VM unreadable.
 */
export function generatedInventory(count: number): SimVm[] {
  const vms: SimVm[] = [];
  for (let i = 0; i < count; i++) {
    const vm: SimVm = {
      vm: `vm-${1000 + i}`,
      name: `${NAME_PREFIXES[i % NAME_PREFIXES.length]}-${String(i).padStart(4, '0')}`,
      power_state: POWER_CYCLE[i % POWER_CYCLE.length] ?? 'POWERED_ON',
      folder: GENERATED_FOLDERS[Math.floor(i / 7) % GENERATED_FOLDERS.length] ?? 'group-v3',
      host: `host-${10 + (i % 8)}`,
      ...PLACEMENT,
    };
    if (i % 97 !== 96) {
      vm.cpu_count = 2 ** (i % 4);
      vm.memory_size_MiB = 1024 * 2 ** (i % 5);
    }
    vms.push(vm);
  }
  return vms;
}
