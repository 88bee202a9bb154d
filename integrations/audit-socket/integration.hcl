name            = "socket"
vendor          = "Coffer maintainers"
kind            = "audit"
version         = "0.1.0"
description     = "Sends audit entries over a TCP, UDP or Unix socket."
docs_url        = "docs/audit.md"
source_url      = "plugins/audit/socket"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
