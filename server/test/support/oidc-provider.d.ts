/** The few parts of npm oidc-provider (which ships no types) that the test IdP uses. */
declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, cb: () => void): Server;
    proxy: boolean;
  }
}
