name            = "notes"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Example engine in TypeScript: short notes and leased share codes."
docs_url        = "examples/secrets-ts/README.md"
source_url      = "examples/secrets-ts"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
certified       = "2026-12-04"
runtime         = "node"
entry           = "dist/index.js"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  secrets {
    write_path = "notes/certify"
    write_data = { text = "certify-note" }
    help_paths = ["notes/certify", "notes/", "share/certify", "shared/0123"]
    lease_path = "share/certify"
    skip = {
      "ill-typed-field" = "notes/:name declares only a string field, and every JSON scalar converts to a string"
    }
  }
}
