// node-vault ships no type declarations; the tests use only this part of it.
declare module 'node-vault' {
  interface NodeVaultOptions {
    apiVersion?: string;
    endpoint: string;
    token?: string;
  }
  interface NodeVaultClient {
    token: string;
    read(path: string): Promise<any>;
    write(path: string, data: unknown): Promise<any>;
    list(path: string): Promise<any>;
    delete(path: string): Promise<any>;
    initialized(): Promise<{ initialized: boolean }>;
    init(options: { secret_shares: number; secret_threshold: number }): Promise<any>;
    unseal(options: { secret_shares: number; key: string }): Promise<any>;
    status(): Promise<any>;
    health(): Promise<any>;
    tokenLookupSelf(): Promise<any>;
  }
  function createClient(options: NodeVaultOptions): NodeVaultClient;
  export default createClient;
}
