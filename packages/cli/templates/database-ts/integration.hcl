# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "database"
version         = "0.1.0"
description     = "Creates and drops users in the users table of a SQLite file."
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
  database {
    # {{dir}} is an empty scratch folder of the certify run. The first
    # connection to a new file makes its account the administrator.
    connection          = { path = "{{dir}}/users.db", username = "admin", password = "certify-admin-password" }
    creation_statements = ["INSERT INTO users (name, password_hash, expires_at) VALUES ('{{name}}', '{{password_hash}}', '{{expiration}}');"]
    noop_statements     = ["SELECT 1;"]
    login_check         = true
    root_rotation       = true
  }
}
