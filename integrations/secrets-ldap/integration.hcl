name            = "ldap"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Rotates the passwords of existing LDAP accounts on a schedule (static roles) and creates accounts from LDIF templates under a lease (dynamic roles)."
docs_url        = "docs/secrets/ldap.md"
source_url      = "plugins/secrets/ldap"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-05"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  secrets {
    write_path      = "role/certify"
    write_data      = { creation_ldif = "dn: cn={{.Username}},ou=people,dc=example,dc=com\nobjectClass: person\ncn: {{.Username}}\nsn: {{.RoleName}}\nuserPassword: {{.Password}}\n", deletion_ldif = "dn: cn={{.Username}},ou=people,dc=example,dc=com\nchangetype: delete\n" }
    help_paths      = ["role/certify", "role/", "creds/certify", "static-role/certify", "static-cred/certify", "rotate-role/certify", "config", "rotate-root"]
    ill_typed_field = "default_ttl"
    ill_typed_value = "not a duration"
  }
}
