import { creditPacks } from '../core/credits';
import { httpHandler } from './http';

// The catalogue is public: the site shows the prices before sign-in too.
export const handler = httpHandler('GET /api/credits/packs', async () => ({ status: 200, body: { packs: creditPacks } }));
