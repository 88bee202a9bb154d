name            = "roster"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Example auth method in Python: logins against a roster given as a mount option."
docs_url        = "examples/auth-python/README.md"
source_url      = "examples/auth-python"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
certified       = "2026-12-04"
runtime         = "python3"
entry           = "plugin.py"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  auth {
    # The password_sha256 is the SHA-256 of "certify-password".
    options = { users = "{\"certify\": {\"password_sha256\": \"4fed96b72d41541382d620c5aee796747256a9feea8821b6552516449000b69d\", \"policies\": [\"certify\"]}}" }
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
    # The example sets no max TTL, so the system default of 768 hours applies.
    max_ttl  = 2764800
  }
}
