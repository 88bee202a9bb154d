# The catalog listing of this plugin, and how `coffer plugin certify`
# exercises it. Fill in the vendor, URLs and support contact before you certify.
name            = "__NAME__"
vendor          = "__VENDOR__"
kind            = "auth"
version         = "0.1.0"
description     = "Logs users in against a roster given as a mount option."
docs_url        = "https://example.com/__NAME__/docs"
source_url      = "https://example.com/__NAME__/source"
license         = "MPL-2.0"
coffer_versions = ">=0.1.0"
runtime         = "python3"
entry           = "plugin.py"

support {
  contact                      = "support@example.com"
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
    max_ttl  = 7200
  }
}
