name            = "mysql"
vendor          = "Coffer maintainers"
kind            = "storage"
version         = "0.1.0"
description     = "A MySQL or MariaDB table, shared by several servers."
docs_url        = "docs/storage.md"
source_url      = "plugins/storage/mysql"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-05"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
