import { z } from 'zod';
import { idempotencyKeyPattern, purchasePack } from '../core/credits';
import { effects } from './effects';
import { httpHandler } from './http';

const purchaseSchema = z.strictObject({
  pack: z.string({ error: 'pack is required.' }).max(32, { error: 'Unknown pack.' }),
  idempotencyKey: z
    .string({ error: 'idempotencyKey is required.' })
    .regex(idempotencyKeyPattern, { error: 'idempotencyKey must be 8 to 128 characters of A-Z, a-z, 0-9, _ and -.' }),
});

export const handler = httpHandler('POST /api/credits/purchase', async (req) => {
  const { claims } = await req.authorize();
  const input = req.body(purchaseSchema);
  const outcome = await purchasePack(claims.userId, input.pack, input.idempotencyKey, effects());
  // A replay answers exactly what the first request answered; the header says it is one.
  return { status: 200, body: outcome.body, headers: { 'idempotent-replayed': String(outcome.kind === 'replay') } };
});
