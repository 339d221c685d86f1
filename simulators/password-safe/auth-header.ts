/** The parts of `Authorization: PS-Auth key=<API key>; runas=<user>; pwd=[<password>];` [B1]. */
export interface PsAuth {
  key: string;
  runAs: string;
  /** Absent when the header has no `pwd=[...]` part. */
  password?: string;
}

// The documented order is fixed: key, runas, then the optional bracketed pwd; the trailing ';' is what the XSOAR
// client sends [B4] and the docs' examples omit, so both are accepted. The password is taken up to the LAST ']'
// so a password that itself contains ';' or ']' still parses.
const PS_AUTH = /^PS-Auth\s+key=([^;\s]+);\s*runas=([^;]+?)\s*(?:;\s*pwd=\[(.*)\])?\s*;?\s*$/i;

/** Parses the header; undefined when it is missing or malformed (which the appliance answers with 401). */
export function parsePsAuth(header: string | undefined): PsAuth | undefined {
  const match = PS_AUTH.exec(header ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  const parsed: PsAuth = { key: match[1], runAs: match[2] };
  if (match[3] !== undefined) parsed.password = match[3];
  return parsed;
}

/** Builds the header the way the vendor documents it; used by tests and by nothing in the broker. */
export function psAuthHeader(credentials: { apiKey: string; runAs: string; password?: string }): string {
  const pwd = credentials.password === undefined ? '' : ` pwd=[${credentials.password}];`;
  return `PS-Auth key=${credentials.apiKey}; runas=${credentials.runAs};${pwd}`;
}
