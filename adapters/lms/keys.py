"""RSA tool keys: kid is the RFC 7638 thumbprint, as pylti1p3 computes it when signing."""

from __future__ import annotations

from typing import Any

from jwcrypto.jwk import JWK


def generate_tool_key() -> tuple[str, str, dict[str, Any]]:
    """A new 2048-bit RSA key: (kid, private PEM, public JWK with alg/use)."""
    key = JWK.generate(kty="RSA", size=2048)
    private_pem = key.export_to_pem(private_key=True, password=None).decode()
    kid = key.thumbprint()
    public: dict[str, Any] = key.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, private_pem, public


def public_pem(private_pem: str) -> str:
    return JWK.from_pem(private_pem.encode()).export_to_pem().decode()  # type: ignore[no-any-return]
