# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "secrets"
version         = "0.1.0"
description     = "Stores named items and issues leased copies of them."
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
  secrets {
    write_path      = "items/certify"
    write_data      = { value = "certify-value" }
    help_paths      = ["items/certify", "items/", "lease/certify"]
    lease_path      = "lease/certify"
    ill_typed_field = "rotate_period"
    ill_typed_value = "soon"
  }
}
