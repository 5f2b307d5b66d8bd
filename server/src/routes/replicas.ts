/** `/replicas/*` routes (Rucio's replicas.py). */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Registers the replicas routes. */
export async function replicaRoutes(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
