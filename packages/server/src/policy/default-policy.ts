/**
 * The built-in `default` policy, written at the first unseal and editable
 * afterwards. Its paths and capabilities are those of the `default` policy
 * that current Vault releases create, as `vault read sys/policy/default`
 * prints it on a dev server. The comments are Coffer's own.
 */

export const DEFAULT_POLICY_NAME = 'default';

export const DEFAULT_POLICY = `# Let a token read its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Let a token extend its own TTL.
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Let a token revoke itself.
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Let a token ask which capabilities it has on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Let a token read its own identity entity, by ID or by name.
path "identity/entity/id/{{identity.entity.id}}" {
    capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
    capabilities = ["read"]
}

# Let a token read the ACL its policies add up to. The UI uses this internal
# path, whose format may change between versions.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Let a token renew a lease named by lease_id in the body, on the old path
# and on the current one.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Let a token look up a lease whose ID it already knows. The answer holds
# no secret.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Let a token use its own cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Let a token wrap any data in a response-wrapping token.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Let a token read the creation time and TTL of a response-wrapping token.
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Let a token unwrap a response-wrapping token without switching tokens.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Let a token hash data with the general-purpose tools.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Let a token check a control group request when it holds the accessor.
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Let a token call the authorization endpoint of an OIDC provider.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;
