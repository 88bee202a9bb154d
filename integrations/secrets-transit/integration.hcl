name            = "transit"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Encryption as a service: named keys that encrypt, decrypt, sign and verify without revealing key material."
docs_url        = "plugins/secrets/transit"
source_url      = "plugins/secrets/transit"
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
    write_path      = "keys/certify"
    write_data      = { type = "aes256-gcm96" }
    help_paths      = ["keys/certify", "encrypt/certify", "decrypt/certify"]
    ill_typed_field = "exportable"
    ill_typed_value = "not-a-bool"
    skip = {
      "existence-check" = "keys/:name has no existence check in Vault, so every write needs update there, and existing policies rely on that"
    }
  }
}
