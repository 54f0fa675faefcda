import { z } from 'zod';
import { adjustCredits, maxAdjustment, requireAdmin, uuidPattern } from '../core/admin';
import { effects } from './effects';
import { httpHandler } from './http';

const adjustSchema = z.strictObject({
  userId: z.string({ error: 'userId is required.' }).regex(uuidPattern, { error: 'userId must be a user id (a UUID).' }),
  delta: z
    .number({ error: 'delta must be a whole number of credits.' })
    .int({ error: 'delta must be a whole number of credits.' })
    .min(-maxAdjustment, { error: `delta must be between -${maxAdjustment} and ${maxAdjustment}.` })
    .max(maxAdjustment, { error: `delta must be between -${maxAdjustment} and ${maxAdjustment}.` })
    .refine((d) => d !== 0, { error: 'delta must not be 0.' }),
  reason: z
    .string({ error: 'reason is required.' })
    .trim()
    .min(3, { error: 'reason must be 3 to 200 characters.' })
    .max(200, { error: 'reason must be 3 to 200 characters.' }),
});

export const handler = httpHandler('POST /api/admin/credits', async (req) => {
  const { claims, account } = await req.authorize();
  requireAdmin(account.user);
  const input = req.body(adjustSchema);
  const result = await adjustCredits(claims.userId, input.userId.toLowerCase(), input.delta, input.reason, effects());
  return { status: 200, body: result };
});
