/** Adapters for the RSE protocols a transfer uses: created once per protocol, closed together. */
import {
  type AnyAdapterOptions,
  createAdapter,
  type RseProtocol,
  type StorageAdapter,
  StorageError,
  toRelativePath,
} from '@oxbow/rse-adapters';

/** `scheme://host:port` of a protocol, for messages. */
export function endpointOf(p: RseProtocol): string {
  return `${p.scheme}://${p.hostname}${p.port ? `:${p.port}` : ''}`;
}

/** Key of a protocol definition (scheme, host, port, prefix identify an endpoint and its namespace). */
export function protocolKey(p: RseProtocol): string {
  return `${p.scheme}://${p.hostname}:${p.port ?? ''}${p.prefix}|${p.impl}`;
}

/** A set of adapters shared by the files of one upload or download. */
export interface AdapterPool {
  /** The adapter of a protocol (created on first use). */
  get(protocol: RseProtocol): StorageAdapter;
  /** Marks an endpoint as unreachable so that later files do not wait for it again. */
  markDown(protocol: RseProtocol, err: StorageError): void;
  /** Why the endpoint was marked down, if it was. */
  down(protocol: RseProtocol): StorageError | undefined;
  /**
   * After a connection error of one file: probes the endpoint once (a stat of the prefix) and marks it
   * down only when the probe cannot connect either (a broken pipe of one transfer is not a dead server).
   */
  confirmDown(protocol: RseProtocol, err: StorageError): Promise<void>;
  /** Closes every adapter (xrdfs sessions, connection pools). */
  close(): Promise<void>;
}

/** Creates a pool whose adapters get `options` (credentials, timeouts, concurrency). */
export function createAdapterPool(options: AnyAdapterOptions = {}): AdapterPool {
  const adapters = new Map<string, StorageAdapter>();
  const downs = new Map<string, StorageError>();
  const probes = new Map<string, Promise<void>>();
  return {
    get(protocol) {
      const k = protocolKey(protocol);
      let a = adapters.get(k);
      if (!a) {
        a = createAdapter(protocol, options);
        adapters.set(k, a);
      }
      return a;
    },
    markDown(protocol, err) {
      downs.set(protocolKey(protocol), err);
    },
    down(protocol) {
      return downs.get(protocolKey(protocol));
    },
    confirmDown(protocol, err) {
      const k = protocolKey(protocol);
      if (downs.has(k) || !isEndpointDown(err)) return Promise.resolve();
      let p = probes.get(k);
      if (!p) {
        p = this.get(protocol)
          .exists('')
          .then(
            () => undefined,
            (e: unknown) => {
              if (e instanceof StorageError && isEndpointDown(e)) downs.set(k, err);
            },
          )
          .finally(() => probes.delete(k));
        probes.set(k, p);
      }
      return p;
    },
    async close() {
      const all = [...adapters.values()];
      adapters.clear();
      await Promise.allSettled(all.map((a) => a.close()));
    },
  };
}

/**
 * The protocol of an RSE a PFN belongs to (scheme, host, port and prefix match), preferring
 * protocols that declare reads; undefined when none matches (the PFN cannot be read through an adapter).
 */
export function protocolForPfn(protocols: readonly RseProtocol[], pfn: string): RseProtocol | undefined {
  let fallback: RseProtocol | undefined;
  for (const p of protocols) {
    try {
      toRelativePath(p, pfn);
    } catch {
      continue;
    }
    const reads = ['lan', 'wan'].some((d) => {
      const v = p.domains?.[d as 'lan' | 'wan']?.read;
      return typeof v === 'number' && v > 0;
    });
    if (reads) return p;
    fallback ??= p;
  }
  return fallback;
}

/** Connection refused/reset: the endpoint itself is unreachable (not just one file); timeouts may be one slow file. */
export function isEndpointDown(err: StorageError): boolean {
  return err.code === 'CONNECTION';
}
