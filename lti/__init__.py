"""LTI 1.3 tool: OIDC login, launch, JWKS, deep linking, dynamic registration, pages."""
