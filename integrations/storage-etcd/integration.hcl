name            = "etcd"
vendor          = "Coffer maintainers"
kind            = "storage"
version         = "0.1.0"
description     = "An etcd v3 cluster, shared by several servers."
docs_url        = "docs/storage.md"
source_url      = "plugins/storage/etcd"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-04"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
