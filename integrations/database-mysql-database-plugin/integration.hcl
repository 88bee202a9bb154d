name            = "mysql-database-plugin"
vendor          = "Coffer maintainers"
kind            = "database"
version         = "0.1.0"
description     = "Creates, changes and drops MySQL and MariaDB users for the database secrets engine."
docs_url        = "docs/plugins/database.md"
source_url      = "plugins/database/mysql"
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
    # A user changes its own password with SET PASSWORD, which needs no
    # privilege, so rotate-root works for the suite's fresh account.
    connection = {
      connection_url           = "mysql://{{username}}:{{password}}@127.0.0.1:3306/test"
      username                 = "root"
      password                 = ""
      root_rotation_statements = ["SET PASSWORD = PASSWORD('{{password}}');"]
    }
    # The grant lets the new user open the connection's database, test.
    creation_statements = ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON test.* TO '{{name}}'@'%';"]
    noop_statements     = ["SELECT 1;"]
    login_check         = true
    root_rotation       = true
  }
}
