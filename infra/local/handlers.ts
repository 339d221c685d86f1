import type { Handler } from 'aws-lambda';
import { handler as appliances } from '../../functions/appliances.js';
import { handler as audit } from '../../functions/audit.js';
import { handler as authorizer } from '../../functions/authorizer.js';
import { handler as devices } from '../../functions/devices.js';
import { handler as docs } from '../../functions/docs.js';
import { handler as health } from '../../functions/health.js';
import { handler as home } from '../../functions/home.js';
import { handler as inventorySearch } from '../../functions/inventory-search.js';
import { handler as inventorySync } from '../../functions/inventory-sync.js';
import { handler as launch } from '../../functions/launch.js';
import { handler as launchHead } from '../../functions/launch-head.js';
import { handler as linksCreate } from '../../functions/links-create.js';
import { handler as linksList } from '../../functions/links-list.js';
import { handler as linksRevoke } from '../../functions/links-revoke.js';
import { handler as login } from '../../functions/login.js';
import { handler as openapi } from '../../functions/openapi.js';
import { handler as ticket } from '../../functions/ticket.js';

/** The Lambda handlers by function name, the same modules CDK bundles. */
export const handlers: Record<string, Handler> = {
  appliances,
  audit,
  authorizer,
  devices,
  docs,
  health,
  home,
  'inventory-search': inventorySearch,
  'inventory-sync': inventorySync,
  launch,
  'launch-head': launchHead,
  'links-create': linksCreate,
  'links-list': linksList,
  'links-revoke': linksRevoke,
  login,
  openapi,
  ticket,
} as unknown as Record<string, Handler>;
