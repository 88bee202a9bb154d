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
