/** Registers the catalog resource routes (DIDs, RSEs, replicas); each module owns one Rucio resource. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Adds every catalog resource's routes to the app. */
export async function registerCatalogRoutes(_app: FastifyInstance, _ctx: AppContext): Promise<void> {}
