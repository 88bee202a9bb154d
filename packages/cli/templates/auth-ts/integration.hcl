# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "auth"
version         = "0.1.0"
description     = "Logs users in with a name and a password."
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
  auth {
    setup {
      path = "users/certify"
      data = { password = "certify-password", token_policies = "certify", token_ttl = "1h", token_max_ttl = "2h" }
    }
    login {
      path = "login"
      data = { username = "certify", password = "certify-password" }
    }
    bad_login {
      path = "login"
      data = { username = "certify", password = "wrong-password" }
    }
    bad_login {
      path = "login"
      data = { username = "no-such-user", password = "certify-password" }
    }
    policies = ["certify"]
    alias    = "certify"
    ttl      = 3600
    max_ttl  = 7200
  }
}
