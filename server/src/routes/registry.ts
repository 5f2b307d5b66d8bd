/** Registers the catalog resource routes (DIDs, RSEs, replicas); each module owns one Rucio resource. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { didRoutes } from './dids.js';
import { replicaRoutes } from './replicas.js';
import { requestRoutes } from './requests.js';
import { rseRoutes } from './rses.js';
import { ruleRoutes } from './rules.js';

/** Adds every catalog resource's routes to the app. */
export async function registerCatalogRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await didRoutes(app, ctx);
  await rseRoutes(app, ctx);
  await replicaRoutes(app, ctx);
  await ruleRoutes(app, ctx);
  await requestRoutes(app, ctx);
}
