/** Builds the Fastify application: parsing, auth, Rucio error format, OpenAPI and all routes. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { isAdminAccount } from './catalog/accounts.js';
import type { AppContext } from './context.js';
import { acceptable } from './http/accept.js';
import { errorHandler, sendError } from './http/errors.js';
import { callerFromToken } from './permissions/authenticate.js';
import { accountRoutes } from './routes/accounts.js';
import { authRoutes } from './routes/auth.js';
import { pingRoutes } from './routes/ping.js';
import { registerCatalogRoutes } from './routes/registry.js';
import { scopeRoutes } from './routes/scopes.js';
import { SERVER_VERSION } from './version.js';

export interface AppOptions {
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  logger?: boolean | object;
}

/** Creates the HTTP application bound to a catalog context (not yet listening). */
export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { coerceTypes: 'array', allErrors: true, removeAdditional: false } },
    // Per-request log lines would cost more than the requests themselves at 10k req/s.
    logController: new LogController({ disableRequestLogging: true }),
  });
  ctx.log = app.log;

  // Rucio's client sends JSON bodies without a Content-Type, so every body is read as JSON text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      const err = e as Error & { statusCode?: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      404,
      'NotFound',
      `No endpoint ${req.method} ${req.url.split('?')[0]}; see /api/docs for the list.`,
    ),
  );

  app.addHook('onRequest', async (req, reply) => {
    reply.header('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    reply.header('Access-Control-Allow-Credentials', 'true');
    reply.header('Access-Control-Allow-Methods', '*');
    if (req.headers['access-control-request-headers']) {
      reply.header('Access-Control-Allow-Headers', req.headers['access-control-request-headers']);
    }
    const cfg = req.routeOptions.config;
    // The API documentation (Swagger UI and its assets) is public like /api/openapi.json.
    if (req.method === 'OPTIONS' || cfg?.public || req.routeOptions.url === undefined) return;
    if (req.routeOptions.url.startsWith('/api/docs')) return;
    const produces = cfg?.produces;
    if (produces && !acceptable(req.headers.accept, produces)) {
      return sendError(
        reply,
        406,
        'UnsupportedRequestedContentType',
        `The requested content type ${req.headers.accept} is not supported. Use ${produces.join(' or ')}.`,
      );
    }
    const token = req.headers['x-rucio-auth-token'];
    if (typeof token !== 'string' || token === '') {
      return sendError(
        reply,
        400,
        'ValueError',
        'Token must be set: authenticate at /auth/userpass and send the X-Rucio-Auth-Token header.',
      );
    }
    // An Oxbow token, or a JWT access token of a trusted OIDC issuer (as Rucio accepts them).
    const requested = req.headers['x-rucio-account'];
    req.caller = await callerFromToken(
      ctx,
      token,
      typeof requested === 'string' && requested ? requested : undefined,
      (a) => cachedIsAdmin(ctx, a),
    );
  });

  app.options('*', { config: { public: true } }, async (_req, reply) => reply.code(200).send(''));

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Oxbow REST API',
        version: SERVER_VERSION,
        description: "Rucio-compatible catalog API; Oxbow's own additions live under /oxbow/.",
      },
      components: {
        securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'X-Rucio-Auth-Token' } },
      },
      security: [{ token: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await pingRoutes(app);
  await authRoutes(app, ctx);
  await accountRoutes(app, ctx);
  await scopeRoutes(app, ctx);
  await registerCatalogRoutes(app, ctx);
  return app;
}

const adminCache = new Map<string, { v: boolean; until: number }>();
/** Admin status changes rarely; cache it briefly so every request does not query attributes. */
async function cachedIsAdmin(ctx: AppContext, account: string): Promise<boolean> {
  const hit = adminCache.get(account);
  const now = Date.now();
  if (hit && hit.until > now) return hit.v;
  const v = await isAdminAccount(ctx.catalog.db, account);
  adminCache.set(account, { v, until: now + 10_000 });
  return v;
}
