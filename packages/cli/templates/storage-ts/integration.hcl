# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "storage"
version         = "0.1.0"
description     = "Keeps entries in the memory of the plugin process."
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
  storage {
    # {{dir}} is an empty scratch folder of each case.
    settings   = {}
    persistent = false
    ha         = false
  }
}
