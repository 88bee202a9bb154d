name            = "radius"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins checked by a RADIUS server (RFC 2865), with policies per user."
docs_url        = "docs/auth/radius.md"
source_url      = "plugins/auth/radius"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

# The RADIUS server's address and port are known only once a test server
# runs, so the harness writes config (host, port, secret, token_ttl = "1h",
# token_max_ttl = "2h") before these steps. Its users file contains the user
# "certify" with the password below.
certify {
  auth {
    setup {
      path = "users/certify"
      data = { policies = "certify" }
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
