export interface LaunchUrlInput {
  baseUrl: string;
  deviceId: string;
  viewerType: string;
  sharingMode?: string | undefined;
  mouseMode?: number | undefined;
  ticket?: string | undefined;
}

/**
 * The appliance's launchUI URL. Built from the registered base URL with `URL`/`URLSearchParams` so no input
 * can change the host or inject a parameter. Without a ticket it is the appliance's login-then-launch URL.
 */
export function launchUrl(input: LaunchUrlInput): string {
  const url = new URL('/api/v1/launchUI/', input.baseUrl);
  const params = url.searchParams;
  params.set('launchType', 'viewer');
  params.set('viewerType', input.viewerType);
  params.set('deviceId', input.deviceId);
  if (input.ticket !== undefined) params.set('ticket', input.ticket);
  if (input.sharingMode !== undefined) params.set('sharingMode', input.sharingMode);
  if (input.mouseMode !== undefined) params.set('mouseMode', String(input.mouseMode));
  return url.toString();
}
