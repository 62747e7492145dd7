"""The AES-GCM payload codec: every payload a client or worker sends is encrypted.

An encoded payload carries `encoding: binary/encrypted` and `encryption-key-id: ID` in its
metadata, and `nonce (12 bytes) + AES-256-GCM(serialized original payload)` as data, with the
key id as associated data. New payloads use the current key; decoding picks the key the
payload names, so payloads written before a rotation stay readable while their key is held.
Payloads without the `binary/encrypted` marker pass through unchanged: histories recorded
before encryption still replay.
"""

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from hitl.codec.keys import KEY_FILE_VAR, KEYS_VAR, CodecKeys
from hitl.errors import CodecDecryptError, CodecKeyError

ENCODING = b"binary/encrypted"
KEY_ID_FIELD = "encryption-key-id"
NONCE_BYTES = 12
"""96-bit random nonces, the size AES-GCM is specified for."""


class AesGcmCodec(PayloadCodec):
    """Encrypts payloads under the current key; decrypts under the key each payload names."""

    def __init__(self, keys: CodecKeys) -> None:
        self.current = keys.current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt every payload under the current key."""
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt encrypted payloads; pass the others through.

        Raises:
            CodecKeyError: A payload names a key id this codec does not hold.
            CodecDecryptError: A payload fails authentication or is malformed.
        """
        return [self.decrypt(p) if is_encrypted(p) else p for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """One payload, encrypted under the current key."""
        key_id = self.current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID_FIELD: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """One encrypted payload, decrypted under the key it names."""
        key_id = payload.metadata.get(KEY_ID_FIELD, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecKeyError(
                f"payload is encrypted under codec key {key_id!r}, which this process does not hold "
                f"(it holds {sorted(self._ciphers)}): add that key to {KEYS_VAR} or {KEY_FILE_VAR}; "
                "keep old keys listed after a rotation"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise CodecDecryptError(
                f"payload under codec key {key_id!r} fails authentication: this process's key "
                f"{key_id!r} is not the one that encrypted it, or the payload was altered"
            ) from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def is_encrypted(payload: Payload) -> bool:
    """True for a payload this codec (or one like it) encrypted."""
    return payload.metadata.get("encoding") == ENCODING
