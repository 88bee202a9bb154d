name            = "awskms"
vendor          = "Coffer maintainers"
kind            = "seal"
version         = "0.1.0"
description     = "Protects the root key with an AWS KMS key (envelope encryption); tested against a local double of the KMS JSON API."
docs_url        = "plugins/seal/awskms"
source_url      = "plugins/seal/awskms"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
