name            = "cert"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins with a TLS client certificate from a trusted CA."
docs_url        = "docs/auth/cert.md"
source_url      = "plugins/auth/cert"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  auth {
    login {
      path = "login"
      data = { name = "certify" }
    }
    bad_login {
      path = "login"
      data = { name = "certify" }
    }
    bad_login {
      path = "login"
      data = { name = "no-such-entry" }
    }
    policies = ["certify"]
    alias    = "certify.example.com"
    ttl      = 3600
    max_ttl  = 7200
    skip = {
      "login"           = "a login needs a client certificate over TLS, and the suite sends plain HTTP without one"
      "entity-alias"    = "needs the token of a login, which needs a client certificate over TLS"
      "ttl"             = "needs the token of a login, which needs a client certificate over TLS"
      "renew-max-ttl"   = "needs the token of a login, and a renewal presents the login's client certificate over TLS"
      "bad-credentials" = "over plain HTTP every login fails with \"tls connection required\" before any credential is checked"
    }
  }
}
