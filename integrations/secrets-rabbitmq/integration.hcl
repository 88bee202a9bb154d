name            = "rabbitmq"
vendor          = "Coffer maintainers"
kind            = "secrets"
version         = "0.1.0"
description     = "Creates RabbitMQ users on demand through the management HTTP API, with a role's tags, vhost permissions and topic permissions, under a lease."
docs_url        = "docs/secrets/rabbitmq.md"
source_url      = "plugins/secrets/rabbitmq"
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
    write_data      = { tags = "management", vhosts = "{\"/\": {\"configure\": \"\", \"write\": \"\", \"read\": \".*\"}}" }
    help_paths      = ["roles/certify", "roles/", "creds/certify", "config/connection", "config/lease"]
    ill_typed_field = "vhosts"
    ill_typed_value = "not json"
    skip = {
      "existence-check" = "roles/:name has no existence check in Vault, so every write needs update there, and existing policies rely on that"
    }
  }
}
