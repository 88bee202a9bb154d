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
    mount(options: { mount_point: string; type: string; description?: string; options?: Record<string, unknown> }): Promise<any>;
    unmount(options: { mount_point: string }): Promise<any>;
    mounts(): Promise<any>;
    enableAuth(options: { mount_point: string; type: string; description?: string }): Promise<any>;
    disableAuth(options: { mount_point: string }): Promise<any>;
    auths(): Promise<any>;
    enableAudit(options: { name: string; type: string; description?: string; options?: Record<string, unknown> }): Promise<any>;
    disableAudit(options: { name: string }): Promise<any>;
    audits(): Promise<any>;
    addPolicy(options: { name: string; rules: string }): Promise<any>;
    getPolicy(options: { name: string }): Promise<any>;
    policies(): Promise<any>;
    removePolicy(options: { name: string }): Promise<any>;
    userpassLogin(options: { username: string; password: string; mount_point?: string }): Promise<any>;
    addApproleRole(options: { role_name: string; policies?: string; mount_point?: string }): Promise<any>;
    getApproleRoleId(options: { role_name: string; mount_point?: string }): Promise<any>;
    getApproleRoleSecret(options: { role_name: string; mount_point?: string }): Promise<any>;
    approleLogin(options: { role_id: string; secret_id: string; mount_point?: string }): Promise<any>;
    transitCreateKey(options: { name: string; type?: string }): Promise<any>;
    encryptData(options: { name: string; plaintext: string }): Promise<any>;
    decryptData(options: { name: string; ciphertext: string }): Promise<any>;
  }
  function createClient(options: NodeVaultOptions): NodeVaultClient;
  export default createClient;
}
