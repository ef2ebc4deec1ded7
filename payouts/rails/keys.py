"""RSA keys and SHA256withRSA (PKCS#1 v1.5) signatures, as WeChat Pay v3 and Alipay RSA2 both use."""
from __future__ import annotations

import base64

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payouts.rails.base import RailError

PEM_BEGIN = "-----BEGIN"


def _pem(text: str, kind: str) -> bytes:
    text = text.strip()
    if not text.startswith(PEM_BEGIN):  # Alipay's console hands out bare base64
        text = f"-----BEGIN {kind}-----\n{text}\n-----END {kind}-----"
    return text.encode()


def private_key(text: str, field: str) -> rsa.RSAPrivateKey:
    """A PEM (PKCS#1 or #8) or bare base64 PKCS#8 RSA private key. :raise RailError: not one."""
    try:
        key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    except (ValueError, TypeError):
        raise RailError(f"{field} is not an RSA private key", {field: "must be an RSA private key (PEM)"}) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise RailError(f"{field} is not an RSA key of 2048 bits or more", {field: "must be RSA, 2048 bits or more"})
    return key


def public_key(text: str, field: str) -> rsa.RSAPublicKey:
    """A PEM or bare base64 RSA public key. :raise RailError: not one."""
    try:
        key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    except (ValueError, TypeError):
        raise RailError(f"{field} is not an RSA public key", {field: "must be an RSA public key (PEM)"}) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise RailError(f"{field} is not an RSA public key", {field: "must be an RSA public key (PEM)"})
    return key


def certificate(text: str, field: str) -> x509.Certificate:
    """:raise RailError: not a PEM X.509 certificate with an RSA key."""
    try:
        cert = x509.load_pem_x509_certificate(text.strip().encode())
    except ValueError:
        raise RailError(f"{field} is not a certificate", {field: "must be a PEM X.509 certificate"}) from None
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise RailError(f"{field} has no RSA key", {field: "must carry an RSA public key"})
    return cert


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True
