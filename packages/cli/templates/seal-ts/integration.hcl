# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "seal"
version         = "0.1.0"
description     = "Protects the root key with AES-256-GCM and a key from a file."
docs_url        = "https://example.com/__NAME__/docs"
source_url      = "https://example.com/__NAME__/source"
license         = "MPL-2.0"
coffer_versions = ">=0.1.0"
runtime         = "node"
entry           = "dist/index.js"

support {
  contact                      = "support@example.com"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  seal {
    # {{dir}} is an empty scratch folder of the certify run; {{random_hex:32}}
    # becomes a fresh 32-byte key in hexadecimal.
    settings             = { key_file = "{{dir}}/seal.key" }
    files                = { "seal.key" = "{{random_hex:32}}", "other.key" = "{{random_hex:32}}" }
    other_key_settings   = { key_file = "{{dir}}/other.key" }
    # A key file that does not exist stands for a key service that is down.
    unreachable_settings = { key_file = "{{dir}}/missing.key" }
  }
}
