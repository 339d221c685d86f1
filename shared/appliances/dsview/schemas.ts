import { z } from 'zod';

/** `POST /api/v1/userSessions` → 201. */
export const loginResponseSchema = z.object({
  user_session: z.object({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
  }),
  jwt: z.string().min(1),
});

/** One entry of `GET /api/v1/devices`. */
export const deviceSchema = z.object({
  id: z.string().min(1),
  device_name: z.string(),
  device_type_programmatic_name: z.string().min(1),
  connection_path_info: z.array(z.object({ path_type: z.string() }).loose()).optional(),
});

/** `GET /api/v1/devices` → 200. */
export const devicesResponseSchema = z.object({ devices: z.array(deviceSchema) });

/** `POST /api/v1/userSessions/<id>:createTicket` → 200. */
export const ticketResponseSchema = z.object({ ticket: z.string().min(1) });
