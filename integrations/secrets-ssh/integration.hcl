name            = "ssh"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Signed SSH certificates: a CA key per mount and roles that sign OpenSSH user and host certificates."
docs_url        = "docs/secrets/ssh.md"
source_url      = "plugins/secrets/ssh"
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
    write_path      = "roles/certify"
    write_data      = { key_type = "ca", allow_user_certificates = true, allowed_users = "certify" }
    help_paths      = ["config/ca", "roles/certify", "sign/certify", "issue/certify", "public_key"]
    ill_typed_field = "allow_user_certificates"
    ill_typed_value = "not-a-bool"
    skip = {
      "existence-check" = "roles/:name has no existence check in Vault, so every write needs update there, and existing policies rely on that"
    }
  }
}
