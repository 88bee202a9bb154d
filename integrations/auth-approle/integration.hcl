name            = "approle"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Machine logins with a role ID and a secret ID."
docs_url        = "plugins/auth/approle"
source_url      = "plugins/auth/approle"
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
  auth {
    setup {
      path = "role/certify"
      data = { token_policies = "certify", token_ttl = "1h", token_max_ttl = "2h" }
    }
    setup {
      path = "role/certify/role-id"
      data = { role_id = "certify-role-id" }
    }
    setup {
      path = "role/certify/custom-secret-id"
      data = { secret_id = "certify-secret-id" }
    }
    login {
      path = "login"
      data = { role_id = "certify-role-id", secret_id = "certify-secret-id" }
    }
    bad_login {
      path = "login"
      data = { role_id = "certify-role-id", secret_id = "wrong-secret-id" }
    }
    bad_login {
      path = "login"
      data = { role_id = "no-such-role-id", secret_id = "certify-secret-id" }
    }
    policies = ["certify"]
    alias    = "certify-role-id"
    ttl      = 3600
    max_ttl  = 7200
  }
}
