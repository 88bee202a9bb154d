name            = "pkcs11"
vendor          = "Coffer maintainers"
kind            = "seal"
version         = "0.1.0"
description     = "Protects the root key with an HSM reached through its PKCS#11 library."
docs_url        = "plugins/seal/pkcs11"
source_url      = "plugins/seal/pkcs11"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}
