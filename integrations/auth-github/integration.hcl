name            = "github"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins with a GitHub personal access token, with policies per team and user of one organization."
docs_url        = "docs/auth/github.md"
source_url      = "plugins/auth/github"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

# The GitHub stand-in's address is known only once it runs, so the harness
# writes config (organization "certify-org", base_url, token_ttl = "1h",
# token_max_ttl = "2h") before these steps. The stand-in has the member
# "certify" with the personal access token below.
certify {
  auth {
    setup {
      path = "map/users/certify"
      data = { value = "certify" }
    }
    login {
      path = "login"
      data = { token = "ghp_certifyMemberToken" }
    }
    bad_login {
      path = "login"
      data = { token = "ghp_revokedToken" }
    }
    bad_login {
      path = "login"
      data = { token = "ghp_mistypedCertifyToken" }
    }
    policies = ["certify"]
    alias    = "certify"
    ttl      = 3600
    max_ttl  = 7200
  }
}
