name            = "postgresql-database-plugin"
vendor          = "Coffer maintainers"
kind            = "database"
version         = "0.1.0"
description     = "Creates, changes and drops PostgreSQL roles for the database secrets engine."
docs_url        = "docs/plugins/database.md"
source_url      = "plugins/database/postgresql"
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
  database {
    connection          = { connection_url = "postgresql://{{username}}:{{password}}@127.0.0.1:5432/test", username = "postgres", password = "" }
    creation_statements = ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"]
    noop_statements     = ["SELECT 1;"]
    # The test server trusts logins from 127.0.0.1 and never checks a
    # password, so a login proves nothing there.
    login_check         = false
    root_rotation       = true
  }
}
