// The payment port: the only code that would talk to a payment provider. Two providers live here:
// `local` approves every payment (development, the local stack, demos) and `decline` refuses
// every one (tests of the declined path). PAYMENT_PROVIDER picks one; production has none by
// default, so a deploy never gives credits away by accident.
//
// A real provider (Stripe) plugs in behind the same interface: `charge` would create and confirm
// a PaymentIntent for `amountCents` with `idempotencyKey` as Stripe's Idempotency-Key header, so
// a purchase retried after a crash (the same key) returns the first charge instead of a second
// one, and map a card decline to `{ status: 'declined' }`. Its secret key would come from
// Secrets Manager like the database's.
import { createHash } from 'node:crypto';
import { config } from '../config';
import { AppError } from '../core/errors';

export interface PaymentRequest {
  /** Stable for one purchase (user + the client's idempotency key): the provider's own dedup key. */
  readonly idempotencyKey: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly description: string;
}

export type PaymentOutcome =
  | { readonly status: 'approved'; readonly providerRef: string }
  | { readonly status: 'declined'; readonly reason: string };

export interface PaymentProvider {
  readonly name: string;
  charge(request: PaymentRequest): Promise<PaymentOutcome>;
}

const reference = (request: PaymentRequest): string =>
  createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 24);

const localProvider: PaymentProvider = {
  name: 'local',
  charge: (request) => Promise.resolve({ status: 'approved', providerRef: `local_${reference(request)}` }),
};

const declineProvider: PaymentProvider = {
  name: 'decline',
  charge: () => Promise.resolve({ status: 'declined', reason: 'card_declined' }),
};

/** The configured provider; `unavailable` when payments are off on this deployment. */
export function paymentProvider(): PaymentProvider {
  switch (config().paymentProvider) {
    case 'local':
      return localProvider;
    case 'decline':
      return declineProvider;
    case null:
      throw new AppError('unavailable', 'Payments are not available on this deployment.');
  }
}
