name            = "database"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Issues dynamic and rotated static database credentials through database plugins (PostgreSQL, MySQL/MariaDB, Redis or external)."
docs_url        = "plugins/secrets/database"
source_url      = "plugins/secrets/database"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
