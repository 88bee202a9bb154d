name            = "userpass"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins with a user name and a password, hashed with scrypt."
docs_url        = "plugins/auth/userpass"
source_url      = "plugins/auth/userpass"
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
      path = "users/certify"
      data = { password = "certify-password", token_policies = "certify", token_ttl = "1h", token_max_ttl = "2h" }
    }
    login {
      path = "login/certify"
      data = { password = "certify-password" }
    }
    bad_login {
      path = "login/certify"
      data = { password = "wrong-password" }
    }
    bad_login {
      path = "login/no-such-user"
      data = { password = "certify-password" }
    }
    policies = ["certify"]
    alias    = "certify"
    ttl      = 3600
    max_ttl  = 7200
  }
}
