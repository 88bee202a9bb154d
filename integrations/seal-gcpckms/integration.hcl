name            = "gcpckms"
vendor          = "Coffer maintainers"
kind            = "seal"
version         = "0.1.0"
description     = "Protects the root key with a Google Cloud KMS key; tested against a local double of the Cloud KMS gRPC service."
docs_url        = "plugins/seal/gcpckms"
source_url      = "plugins/seal/gcpckms"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
