name            = "redis-database-plugin"
vendor          = "Coffer maintainers"
kind            = "database"
version         = "0.1.0"
description     = "Creates, changes and drops Redis 6 ACL users for the database secrets engine."
docs_url        = "docs/plugins/database.md"
source_url      = "plugins/database/redis"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
