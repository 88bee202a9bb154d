name            = "file"
vendor          = "Coffer maintainers"
kind            = "audit"
version         = "0.1.0"
description     = "Appends audit entries to a file and syncs each write group."
docs_url        = "docs/audit.md"
source_url      = "plugins/audit/file"
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
  audit {
    options         = { file_path = "{{dir}}/audit.log" }
    log_file        = "{{dir}}/audit.log"
    failing_options = { file_path = "/dev/full" }
  }
}
