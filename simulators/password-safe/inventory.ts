/**
 * The managed systems and accounts a simulated Password Safe holds. Field names follow the fact sheet's
 * `GET ManagedAccounts` list (from the vendor's Go client); platform ids are the simulator's own choice, because no
 * public source lists them.
 */

/** Access types a release request can ask for [B5]; `App` is out of scope for consoles. */
export type AccessType = 'View' | 'RDP' | 'SSH';

export interface SimPlatform {
  id: number;
  /** Only for people reading the simulator: the API's account rows carry the id, not a name. */
  label: string;
  /** What a release request may ask for on this platform's accounts. */
  accessTypes: readonly AccessType[];
}

export const PLATFORMS = {
  windows: { id: 1, label: 'Windows', accessTypes: ['View', 'RDP'] },
  linux: { id: 2, label: 'Linux', accessTypes: ['View', 'SSH'] },
  ciscoIos: { id: 5, label: 'Cisco (network device)', accessTypes: ['View', 'SSH'] },
  /** A platform a broker is not expected to know: only password release is possible on it. */
  mainframe: { id: 87, label: 'Mainframe (custom platform)', accessTypes: ['View'] },
} as const satisfies Record<string, SimPlatform>;

export interface SimAccount {
  systemId: number;
  systemName: string;
  platform: SimPlatform;
  domainName: string | null;
  accountId: number;
  accountName: string;
  defaultReleaseDuration: number;
  maximumReleaseDuration: number;
  /** Whether a release request waits for an approver (the access policy's setting, not an API field). */
  approvalRequired: boolean;
  /** "Enable for API Access": accounts without it are neither listed nor requestable [B6]. */
  apiEnabled: boolean;
  description: string | null;
}

/** The key the broker uses for an account, `<SystemId>.<AccountId>` (the contract's device id). */
export function accountKey(account: Pick<SimAccount, 'systemId' | 'accountId'>): string {
  return `${account.systemId}.${account.accountId}`;
}

function account(
  fields: Omit<
    SimAccount,
    'defaultReleaseDuration' | 'maximumReleaseDuration' | 'apiEnabled' | 'description'
  > &
    Partial<SimAccount>,
): SimAccount {
  return {
    defaultReleaseDuration: 120,
    maximumReleaseDuration: 525,
    apiEnabled: true,
    description: null,
    ...fields,
  };
}

/**
 * Windows, Linux, a network device and an unknown platform, on several systems; some accounts release at once,
 * some wait for approval, one is hidden from the API, one has a short maximum release duration.
 */
export function standardAccounts(): SimAccount[] {
  const { windows, linux, ciscoIos, mainframe } = PLATFORMS;
  return [
    account({
      systemId: 1,
      systemName: 'WIN-DC01',
      platform: windows,
      domainName: 'corp.example',
      accountId: 11,
      accountName: 'Administrator',
      approvalRequired: false,
      description: 'Domain controller local administrator',
    }),
    account({
      systemId: 1,
      systemName: 'WIN-DC01',
      platform: windows,
      domainName: 'corp.example',
      accountId: 12,
      accountName: 'svc-backup',
      approvalRequired: true,
    }),
    account({
      systemId: 2,
      systemName: 'WIN-APP02',
      platform: windows,
      domainName: null,
      accountId: 21,
      accountName: 'Administrator',
      approvalRequired: true,
      maximumReleaseDuration: 60,
      defaultReleaseDuration: 30,
    }),
    account({
      systemId: 3,
      systemName: 'web-01.corp.example',
      platform: linux,
      domainName: null,
      accountId: 31,
      accountName: 'root',
      approvalRequired: true,
    }),
    account({
      systemId: 3,
      systemName: 'web-01.corp.example',
      platform: linux,
      domainName: null,
      accountId: 32,
      accountName: 'deploy',
      approvalRequired: false,
    }),
    account({
      systemId: 4,
      systemName: 'core-sw-01',
      platform: ciscoIos,
      domainName: null,
      accountId: 41,
      accountName: 'admin',
      approvalRequired: false,
      description: 'Core switch enable account',
    }),
    account({
      systemId: 5,
      systemName: 'MF-PROD',
      platform: mainframe,
      domainName: null,
      accountId: 51,
      accountName: 'OPERATOR',
      approvalRequired: false,
    }),
    account({
      systemId: 5,
      systemName: 'MF-PROD',
      platform: mainframe,
      domainName: null,
      accountId: 52,
      accountName: 'IBMUSER',
      approvalRequired: false,
      apiEnabled: false,
    }),
  ];
}

const LAST_CHANGE = '2024-02-01T08:00:00';
const NEXT_CHANGE = '2024-03-01T08:00:00';

/** One `GET ManagedAccounts` row, with exactly the fact sheet's field names and casing (`SystemId`, `AccountId`). */
export function managedAccountJson(account: SimAccount): Record<string, unknown> {
  return {
    PlatformID: account.platform.id,
    SystemId: account.systemId,
    SystemName: account.systemName,
    DomainName: account.domainName,
    AccountId: account.accountId,
    AccountName: account.accountName,
    InstanceName: '',
    UserPrincipalName: null,
    ApplicationID: null,
    ApplicationDisplayName: null,
    DefaultReleaseDuration: account.defaultReleaseDuration,
    MaximumReleaseDuration: account.maximumReleaseDuration,
    LastChangeDate: LAST_CHANGE,
    NextChangeDate: NEXT_CHANGE,
    IsChanging: false,
    ChangeState: 0,
    IsISAAccess: false,
    PreferredNodeID: null,
    AccountDescription: account.description,
  };
}
