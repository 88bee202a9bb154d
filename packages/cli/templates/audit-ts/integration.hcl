# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "audit"
version         = "0.1.0"
description     = "Appends audit entries to a file and syncs each write."
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
  audit {
    # {{dir}} is an empty scratch folder of the certify run.
    options         = { path = "{{dir}}/audit.log" }
    log_file        = "{{dir}}/audit.log"
    # Writes to /dev/full fail with ENOSPC, so the device opens but cannot record.
    failing_options = { path = "/dev/full" }
  }
}
