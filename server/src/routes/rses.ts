/** `/rses/*` routes (Rucio's rses.py). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Registers the rses routes. */
export async function rseRoutes(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
