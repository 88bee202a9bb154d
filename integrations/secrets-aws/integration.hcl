name            = "aws"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Issues AWS credentials on demand: IAM users with a role's policies, groups and tags under a revocable lease, and temporary credentials from STS AssumeRole and GetFederationToken."
docs_url        = "docs/secrets/aws.md"
source_url      = "plugins/secrets/aws"
license         = "same as Coffer"
coffer_versions = ">=0.1.0"
builtin         = true
certified       = "2026-12-05"

support {
  contact                      = "Coffer maintainers, through the issue tracker of the Coffer repository"
  critical_response_hours      = 48
  other_response_business_days = 5
}

certify {
  secrets {
    write_path      = "roles/certify"
    write_data      = { credential_type = "iam_user", policy_arns = "arn:aws:iam::aws:policy/ReadOnlyAccess" }
    help_paths      = ["roles/certify", "roles/", "creds/certify", "sts/certify", "config/root", "config/rotate-root", "config/lease"]
    ill_typed_field = "max_sts_ttl"
    ill_typed_value = "not a duration"
    skip = {
      "existence-check" = "roles/:name has no existence check, as in Vault's aws engine, so every write needs update there, and existing policies rely on that"
    }
  }
}
