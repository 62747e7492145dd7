"""The Ed25519 key that signs evidence chain checkpoints, kept outside the database.

The workers hold the private key (a PEM PKCS#8 file, `HITL_AUDIT_KEY_FILE`); whoever verifies
needs only the public keys (`HITL_AUDIT_PUBLIC_KEY_FILE`: one or more PEM public keys, the current
one and those it replaced), so an auditor can check checkpoints without being able to make one.
A key is named by its id: the first 16 hex digits of the SHA-256 of its raw public key.
"""

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hitl.errors import ConfigError

PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def key_id(public: Ed25519PublicKey) -> str:
    """The id a checkpoint names its key by."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), to hand to verifiers."""
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class SigningKey:
    """The private key and its id."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        """The id of the public key."""
        return key_id(self.public)

    def sign(self, message: bytes) -> str:
        """The hex Ed25519 signature of `message`."""
        return self.private.sign(message).hex()


def generate_key_file(path: Path) -> SigningKey:
    """Write a new private key to `path` (mode 0600, refusing to overwrite) and its public key
    next to it (`<name>.pub`); return the key."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    key = SigningKey(private)
    public_path(path).write_bytes(public_pem(key.public))
    return key


def public_path(private_path: Path) -> Path:
    """Where `generate_key_file` puts the public key of `private_path`."""
    return private_path.with_name(private_path.name + ".pub")


def load_signing_key(path: Path) -> SigningKey:
    """Read the private key.

    Raises:
        ConfigError: The file is missing or is not an unencrypted Ed25519 private key in PEM.
    """
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise ConfigError(f"audit signing key {path}: {err}") from err
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"audit signing key {path}: not an Ed25519 private key")
    return SigningKey(private)


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Read every key in a PEM file, by id: public keys, or a private key's public half.

    Raises:
        ConfigError: The file is missing, holds no key, or holds a key that is not Ed25519.
    """
    try:
        blocks = PEM_BLOCK.finditer(path.read_bytes())
        keys: dict[str, Ed25519PublicKey] = {}
        for block in blocks:
            kind = block.group(1)
            if kind.endswith(b"PRIVATE KEY"):
                keys.update(_public_of(load_signing_key(path)))
                continue
            public = serialization.load_pem_public_key(block.group(0))
            if not isinstance(public, Ed25519PublicKey):
                raise ConfigError(f"audit public key file {path}: a key that is not Ed25519")
            keys[key_id(public)] = public
    except (OSError, ValueError) as err:
        raise ConfigError(f"audit public key file {path}: {err}") from err
    if not keys:
        raise ConfigError(f"audit public key file {path}: no PEM key in it")
    return keys


def _public_of(key: SigningKey) -> dict[str, Ed25519PublicKey]:
    return {key.key_id: key.public}


def signature_holds(
    keys: dict[str, Ed25519PublicKey], kid: str, message: bytes, signature: str
) -> str | None:
    """Why `signature` over `message` by key `kid` does not verify, or None when it does."""
    public = keys.get(kid)
    if public is None:
        return f"signed by key {kid}, which is not among the known public keys ({', '.join(sorted(keys))})"
    try:
        public.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return f"the signature does not verify with key {kid} (the checkpoint was forged or altered)"
    return None
