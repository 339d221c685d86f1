import type { ConsolePage } from '../provider.js';
import { WEBMKS_BOOTSTRAP } from './webmks-bootstrap.js';

/**
 * The VMRC link a person can follow without a ticket: VMRC opens the VM on this vCenter and asks for their own
 * vSphere credentials, so it works after the WEBMKS ticket is spent and carries no secret.
 */
export function vmrcWithoutTicket(baseUrl: string, vm: string): string {
  return `vmrc://${new URL(baseUrl).host}/?moid=${encodeURIComponent(vm)}`;
}

/**
 * The broker's WEBMKS console page: the operator's HTML Console SDK, the static bootstrap and the one
 * `wss://` ticket URI as a data attribute; the page's sockets may go to the ESXi host of that URI only.
 */
export function webmksConsolePage(options: {
  baseUrl: string;
  htmlConsole: { scriptUrls: string[]; styleUrls?: string[] | undefined };
  vm: { id: string; name: string };
  socketUrl: string;
}): ConsolePage {
  const { vm } = options;
  return {
    title: `Console of ${vm.name}`,
    message: `The console of ${vm.name} (${vm.id}) opens below. This page works once: reloading it does not reconnect.`,
    actions: [{ label: 'Open in VMRC instead', href: vmrcWithoutTicket(options.baseUrl, vm.id) }],
    script: {
      scriptUrls: options.htmlConsole.scriptUrls,
      styleUrls: options.htmlConsole.styleUrls ?? [],
      bootstrap: WEBMKS_BOOTSTRAP,
      data: { 'socket-url': options.socketUrl },
      connectOrigins: [new URL(options.socketUrl).origin],
    },
  };
}
