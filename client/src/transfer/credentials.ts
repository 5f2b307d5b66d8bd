/** Storage credentials for the RSE adapters, found where the grid and WLCG tools look for them. */
import { existsSync, readFileSync } from 'node:fs';
import type { Credentials } from '@oxbow/rse-adapters';

/**
 * Credentials from the environment: `X509_USER_PROXY` (else `X509_USER_CERT`/`X509_USER_KEY`),
 * `X509_CERT_DIR`, `OXBOW_CA_FILE`, WLCG bearer-token discovery (`BEARER_TOKEN`, `BEARER_TOKEN_FILE`,
 * `$XDG_RUNTIME_DIR/bt_u$UID`, `/tmp/bt_u$UID`) and S3 keys (`OXBOW_S3_ACCESS_KEY_ID`/
 * `OXBOW_S3_SECRET_ACCESS_KEY`, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`). Missing files are
 * simply not used: the storage then answers with its own refusal, which is the clearer message.
 */
export function storageCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const c: Credentials = {};
  const proxy = env.X509_USER_PROXY;
  if (proxy && existsSync(proxy)) c.x509Cert = proxy;
  else if (env.X509_USER_CERT && existsSync(env.X509_USER_CERT)) {
    c.x509Cert = env.X509_USER_CERT;
    if (env.X509_USER_KEY) c.x509Key = env.X509_USER_KEY;
  }
  if (env.X509_CERT_DIR && existsSync(env.X509_CERT_DIR)) c.caDir = env.X509_CERT_DIR;
  if (env.OXBOW_CA_FILE && existsSync(env.OXBOW_CA_FILE)) c.caFile = env.OXBOW_CA_FILE;
  const token = bearerToken(env);
  if (token) c.bearerToken = token;
  const id = env.OXBOW_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secret = env.OXBOW_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (id && secret)
    c.s3 = {
      accessKeyId: id,
      secretAccessKey: secret,
      sessionToken: env.AWS_SESSION_TOKEN,
      region: env.OXBOW_S3_REGION ?? env.AWS_REGION,
    };
  return c;
}

/** WLCG bearer-token discovery (the token itself, trimmed), or undefined. */
function bearerToken(env: NodeJS.ProcessEnv): string | undefined {
  if (env.BEARER_TOKEN?.trim()) return env.BEARER_TOKEN.trim();
  const uid = process.getuid?.() ?? 0;
  const files = [
    env.BEARER_TOKEN_FILE,
    env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/bt_u${uid}` : undefined,
    `/tmp/bt_u${uid}`,
  ];
  for (const f of files) {
    if (!f) continue;
    try {
      const t = readFileSync(f, 'utf8').trim();
      if (t) return t;
    } catch {
      // not there: try the next place
    }
  }
  return undefined;
}
