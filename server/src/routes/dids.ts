/** `/dids/*` routes (Rucio's dids.py). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Registers the dids routes. */
export async function didRoutes(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
