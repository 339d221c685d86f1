import * as z from 'zod';
import { applianceFields } from '../schemas.js';

/** Longest release the API accepts: one year of minutes [B5]. */
const MAX_DURATION_MINUTES = 525_600;

/** A registered Password Safe: the base URL carries the API path (`https://pam/BeyondTrust/api/public/v3`). */
export const passwordSafeApplianceSchema = z.strictObject({
  ...applianceFields('password-safe', { baseUrlPath: true }),
  durationMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DURATION_MINUTES)
    .optional()
    .describe(
      "minutes an access request asks for (default 60; capped by the account's MaximumReleaseDuration)",
    ),
});
export type PasswordSafeAppliance = z.infer<typeof passwordSafeApplianceSchema>;

/** An API registration's key and run-as user; the password only when the registration requires it. */
export const passwordSafeCredentialsSchema = z.strictObject({
  apiKey: z.string().min(1).max(1024).describe('the API registration key'),
  runAs: z.string().min(1).max(256).describe('the run-as user (DOMAIN\\user for a domain user)'),
  password: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe("the run-as user's password, only when the API registration requires it"),
});
export type PasswordSafeCredentials = z.infer<typeof passwordSafeCredentialsSchema>;

/** What is sealed at rest: the `Cookie` header value SignAppin's Set-Cookie gave. */
export const passwordSafeStateSchema = z.strictObject({ cookie: z.string().min(1) });
export type PasswordSafeState = z.infer<typeof passwordSafeStateSchema>;

/** `POST Auth/SignAppin` → 200 [B3]. */
export const signInResponseSchema = z.object({ UserName: z.string().optional() }).loose();

/** One `GET ManagedAccounts` row [B3]; note `SystemId`/`AccountId` casing here. */
export const managedAccountSchema = z
  .object({
    PlatformID: z.number().int(),
    SystemId: z.number().int().positive(),
    SystemName: z.string().min(1),
    DomainName: z.string().nullish(),
    AccountId: z.number().int().positive(),
    AccountName: z.string().min(1),
    MaximumReleaseDuration: z.number().int().positive().nullish(),
  })
  .loose();
export type ManagedAccount = z.infer<typeof managedAccountSchema>;

/** A list, or one object when both `systemName` and `accountName` were given [B6]. */
export const managedAccountsResponseSchema = z.union([
  z.array(managedAccountSchema),
  managedAccountSchema.transform((account) => [account]),
]);

/** `POST Requests` → 201 with the request id as a bare JSON number [B4, B3]. */
export const requestIdSchema = z.number().int().positive();

/** `POST Requests/{id}/Sessions` → 201 for the ticket session types [B0]. */
export const sessionTicketSchema = z
  .object({
    Ticket: z.string().min(1),
    Host: z.string().min(1),
    Port: z.union([z.string().regex(/^\d{1,5}$/), z.number().int().positive()]),
    Command: z.string().nullish(),
    SessionID: z.number().int().nullish(),
  })
  .loose();
export type SessionTicket = z.infer<typeof sessionTicketSchema>;
