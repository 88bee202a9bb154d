name            = "kv"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Key/value secrets, version 1 or versioned version 2, as Vault's kv engine."
docs_url        = "plugins/secrets/kv"
source_url      = "plugins/secrets/kv"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-04"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  secrets {
    options         = { version = "2" }
    write_path      = "data/certify"
    write_data      = { data = { password = "certify-value" } }
    help_paths      = ["data/certify", "metadata/certify", "config"]
    ill_typed_field = "options"
    ill_typed_value = "not-a-map"
  }
}
