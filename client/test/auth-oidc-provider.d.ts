/** The parts of npm oidc-provider (which ships no types) that the auth tests' issuer uses. */
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  interface DeviceCodeRecord {
    clientId: string;
    params: Record<string, unknown>;
    save(): Promise<unknown>;
  }
  class Grant {
    constructor(opts: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, cb: () => void): Server;
    DeviceCode: {
      findByUserCode(
        code: string,
        opts: { ignoreExpiration: boolean },
      ): Promise<DeviceCodeRecord | undefined>;
    };
    Grant: typeof Grant;
  }
}
