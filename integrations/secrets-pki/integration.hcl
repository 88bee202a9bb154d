name            = "pki"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "A certificate authority: root and intermediate CAs, roles, issued and signed X.509 certificates, revocation and CRLs."
docs_url        = "docs/secrets/pki.md"
source_url      = "plugins/secrets/pki"
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
    write_data      = { allowed_domains = "example.com", allow_subdomains = true, key_type = "ec" }
    help_paths      = ["roles/certify", "root/generate/internal", "issue/certify", "sign/certify", "revoke", "config/urls"]
    ill_typed_field = "allow_subdomains"
    ill_typed_value = "not-a-bool"
  }
}
