import * as z from '../../zod.js';
import { applianceFields } from '../schemas.js';

/** Longest release the API accepts: one year of minutes [B5]. */
const MAX_DURATION_MINUTES = 525_600;

const nonEmpty = () => z.string().check(z.minLength(1));
const positiveInt = () => z.int().check(z.positive());

/** A registered Password Safe: the base URL carries the API path (`https://pam/BeyondTrust/api/public/v3`). */
export const passwordSafeApplianceSchema = z.strictObject({
  ...applianceFields('password-safe', { baseUrlPath: true }),
  durationMinutes: z
    .optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_DURATION_MINUTES)))
    .check(
      z.describe(
        "minutes an access request asks for (default 60; capped by the account's MaximumReleaseDuration)",
      ),
    ),
});
export type PasswordSafeAppliance = z.infer<typeof passwordSafeApplianceSchema>;

/** An API registration's key and run-as user; the password only when the registration requires it. */
export const passwordSafeCredentialsSchema = z.strictObject({
  apiKey: z.string().check(z.minLength(1), z.maxLength(1024), z.describe('the API registration key')),
  runAs: z
    .string()
    .check(z.minLength(1), z.maxLength(256), z.describe('the run-as user (DOMAIN\\user for a domain user)')),
  password: z
    .optional(z.string().check(z.minLength(1), z.maxLength(1024)))
    .check(z.describe("the run-as user's password, only when the API registration requires it")),
});
export type PasswordSafeCredentials = z.infer<typeof passwordSafeCredentialsSchema>;

/** What is sealed at rest: the `Cookie` header value SignAppin's Set-Cookie gave. */
export const passwordSafeStateSchema = z.strictObject({ cookie: nonEmpty() });
export type PasswordSafeState = z.infer<typeof passwordSafeStateSchema>;

/** `POST Auth/SignAppin` → 200 [B3]. */
export const signInResponseSchema = z.looseObject({ UserName: z.optional(z.string()) });

/** One `GET ManagedAccounts` row [B3]; note `SystemId`/`AccountId` casing here. */
export const managedAccountSchema = z.looseObject({
  PlatformID: z.int(),
  SystemId: positiveInt(),
  SystemName: nonEmpty(),
  DomainName: z.nullish(z.string()),
  AccountId: positiveInt(),
  AccountName: nonEmpty(),
  MaximumReleaseDuration: z.nullish(positiveInt()),
});
export type ManagedAccount = z.infer<typeof managedAccountSchema>;

/** A list, or one object when both `systemName` and `accountName` were given [B6]. */
export const managedAccountsResponseSchema = z.union([
  z.array(managedAccountSchema),
  z.pipe(
    managedAccountSchema,
    z.transform((account) => [account]),
  ),
]);

/** `POST Requests` → 201 with the request id as a bare JSON number [B4, B3]. */
export const requestIdSchema = positiveInt();

/** `POST Requests/{id}/Sessions` → 201 for the ticket session types [B0]. */
export const sessionTicketSchema = z.looseObject({
  Ticket: nonEmpty(),
  Host: nonEmpty(),
  Port: z.union([z.string().check(z.regex(/^\d{1,5}$/)), positiveInt()]),
  Command: z.nullish(z.string()),
  SessionID: z.nullish(z.int()),
});
export type SessionTicket = z.infer<typeof sessionTicketSchema>;
