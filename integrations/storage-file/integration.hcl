name            = "file"
vendor          = "Coffer maintainers"
kind            = "storage"
version         = "0.1.0"
description     = "One file per entry in a folder tree."
docs_url        = "docs/storage.md"
source_url      = "plugins/storage/file"
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
  storage {
    settings   = { path = "{{dir}}/data" }
    persistent = true
  }
}
