name            = "ldap"
vendor          = "Coffer maintainers"
kind            = "auth"
version         = "0.1.0"
description     = "Logins against an LDAP directory, with group-based policies."
docs_url        = "plugins/auth/ldap"
source_url      = "plugins/auth/ldap"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
