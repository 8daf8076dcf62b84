"""JSON API `/api/v1` for admins' automation and integrations."""
