name            = "totp"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Time-based one-time passwords (RFC 6238): imported or generated keys, codes generated and validated with replay protection."
docs_url        = "docs/secrets/totp.md"
source_url      = "plugins/secrets/totp"
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
    write_path      = "keys/certify"
    write_data      = { key = "JBSWY3DPEHPK3PXP", issuer = "Coffer", account_name = "certify" }
    help_paths      = ["keys/certify", "keys/", "code/certify"]
    ill_typed_field = "digits"
    ill_typed_value = "six"
    skip = {
      "existence-check" = "keys/:name has no existence check in Vault, so every write needs update there, and existing policies rely on that"
    }
  }
}
