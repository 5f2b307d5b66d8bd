/** `GET /ping`: server version, no auth. */
import type { FastifyInstance } from 'fastify';
import { SERVER_VERSION } from '../version.js';

/** Registers the ping route. */
export async function pingRoutes(app: FastifyInstance): Promise<void> {
  const handler = async () => ({ version: SERVER_VERSION });
  app.get('/ping', { config: { public: true, produces: ['application/json'] } }, handler);
}
