/**
 * Runs the HTTP service in several worker processes sharing one port (node:cluster), so token
 * checks and catalog reads use every core. The primary bootstraps the catalog once (root account,
 * embedded RSEs) before forking, then only supervises; workers find the catalog ready.
 */
import cluster, { type Worker } from 'node:cluster';
import { bootstrap } from './bootstrap.js';
import type { ServerSettings } from './config.js';
import { openCatalogFor, startServer } from './server.js';

/** What `runServer` hands back in the process that called it. */
export interface ServiceHandle {
  url: string;
  generatedRootPassword?: string;
  workers: number;
  close(): Promise<void>;
}

interface ReadyMessage {
  oxbow: 'ready';
  url: string;
}

/** Starts the service with `settings.workers` processes (in this process when 1). */
export async function runServer(
  s: ServerSettings,
  opts: { logger?: boolean | object } = {},
): Promise<ServiceHandle> {
  if (s.workers <= 1 || cluster.isWorker) {
    // Daemons run in one worker only: claims are atomic, but N copies of every loop would be waste.
    const settings =
      cluster.isWorker && process.env.OXBOW_WORKER_INDEX !== '0' ? { ...s, daemons: 'none' } : s;
    const server = await startServer(settings, opts);
    if (cluster.isWorker) process.send?.({ oxbow: 'ready', url: server.url } satisfies ReadyMessage);
    return {
      url: server.url,
      generatedRootPassword: server.generatedRootPassword,
      workers: 1,
      async close() {
        await server.close();
        // The IPC channel to the primary would keep a closed worker alive.
        if (cluster.isWorker) cluster.worker?.disconnect();
      },
    };
  }
  const catalog = await openCatalogFor(s);
  let generatedRootPassword: string | undefined;
  try {
    const boot = await bootstrap(catalog, {
      rootPassword: s.rootPassword,
      dataDir: s.dataDir,
      embeddedRses: s.embeddedRses && !s.databaseUrl,
    });
    generatedRootPassword = boot.generatedRootPassword;
  } finally {
    await catalog.close();
  }
  const workers: Worker[] = [];
  let closing = false;
  const ready = (w: Worker) =>
    new Promise<string>((resolve, reject) => {
      w.on('message', (m: ReadyMessage) => m?.oxbow === 'ready' && resolve(m.url));
      w.once('exit', (code) =>
        reject(new Error(`server worker exited with code ${code} before it was ready`)),
      );
    });
  const urls = await Promise.all(
    Array.from({ length: s.workers }, (_, index) => {
      const w = cluster.fork({ OXBOW_WORKER_INDEX: String(index) });
      workers.push(w);
      return ready(w);
    }),
  );
  // A worker that dies unexpectedly is replaced, so one crash does not shrink the service.
  cluster.on('exit', (w, code, signal) => {
    const i = workers.indexOf(w);
    if (closing || i < 0) return;
    process.stderr.write(
      `oxbow server: worker ${w.process.pid} exited (${signal ?? code}); starting another\n`,
    );
    workers[i] = cluster.fork({ OXBOW_WORKER_INDEX: String(i) });
  });
  return {
    url: urls[0],
    generatedRootPassword,
    workers: s.workers,
    async close() {
      closing = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
