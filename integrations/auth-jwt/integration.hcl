name            = "jwt"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins with JWTs from a trusted issuer, and OIDC logins in a browser."
docs_url        = "docs/auth/jwt.md"
source_url      = "plugins/auth/jwt"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-05"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

# The login token is signed with an Ed25519 key whose private half was
# discarded. It carries only "iat", so the role's 100-year expiration_leeway
# keeps it valid. The bad logins are the same claims signed by another key,
# and the valid token with one bit of its signature flipped.
certify {
  auth {
    setup {
      path = "config"
      data = {
        jwt_validation_pubkeys = ["-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAx2/l8G4loRYEb0JZzg2nq2y3gFlK5mClJuvmQxRptuk=\n-----END PUBLIC KEY-----"]
        bound_issuer           = "https://certify.coffer.test"
      }
    }
    setup {
      path = "role/certify"
      data = {
        role_type         = "jwt"
        user_claim        = "sub"
        bound_audiences   = "certify"
        expiration_leeway = "876000h"
        token_policies    = "certify"
        token_ttl         = "1h"
        token_max_ttl     = "2h"
      }
    }
    login {
      path = "login"
      data = { role = "certify", jwt = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2NlcnRpZnkuY29mZmVyLnRlc3QiLCJzdWIiOiJjZXJ0aWZ5LXVzZXIiLCJhdWQiOiJjZXJ0aWZ5IiwiaWF0IjoxNzY0OTAwMDAwfQ.ISJn6pknEBBW0FQdwyVcqLqf8m9fUQ75-j62bl00ye20eKKdlOU4Xc8c32MSQfi6SVBRqrc4JvR27SipBySPAg" }
    }
    bad_login {
      path = "login"
      data = { role = "certify", jwt = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2NlcnRpZnkuY29mZmVyLnRlc3QiLCJzdWIiOiJjZXJ0aWZ5LXVzZXIiLCJhdWQiOiJjZXJ0aWZ5IiwiaWF0IjoxNzY0OTAwMDAwfQ.xO8C0GFHpi6JXgr8WAM_GFnzpqUXpAwLds_RC5WOO-7Tn-H9j0XeEqIgFYzp9NFLKQvfKHEYehIiiUmq5nC2CA" }
    }
    bad_login {
      path = "login"
      data = { role = "certify", jwt = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2NlcnRpZnkuY29mZmVyLnRlc3QiLCJzdWIiOiJjZXJ0aWZ5LXVzZXIiLCJhdWQiOiJjZXJ0aWZ5IiwiaWF0IjoxNzY0OTAwMDAwfQ.ICJn6pknEBBW0FQdwyVcqLqf8m9fUQ75-j62bl00ye20eKKdlOU4Xc8c32MSQfi6SVBRqrc4JvR27SipBySPAg" }
    }
    policies = ["certify"]
    alias    = "certify-user"
    ttl      = 3600
    max_ttl  = 7200
  }
}
