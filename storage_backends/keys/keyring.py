"""The keyring: which key-encryption key wraps a version's data key, and the SSE-C key verifier.

Every blob of an encrypted version has its own random data key (``storage_backends.local.sealed``).
The key-encryption key (KEK) that wraps it is derived with HKDF-SHA256:

- SSE-S3: from the master key, info ``s3gate/v1/AES256``;
- SSE-KMS: from the master key, info ``s3gate/v1/<algorithm>/<key ARN>`` (one KEK per declared key,
  ``aws:kms`` and ``aws:kms:dsse`` apart), the encryption context bound as the wrap's AAD;
- SSE-C: from the customer's key, info ``s3gate/v1/sse-c``. The customer's key is never stored:
  only a salted HMAC of it (the verifier), so a wrong key is refused before any byte is read.

KMS keys are the ids declared with ``--kms-key`` plus the ``aws/s3`` key; a key named by alias gets a
stable key id (a UUID from the alias, account and region), as S3 reports key ARNs, never aliases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gateway.wire import sse
from storage_backends.base import CustomerKey, Encryption

if TYPE_CHECKING:  # imported at first use: 40 ms that a cold start to its first ListBuckets need not pay
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_SIZE = 32
WRAP_NONCE_SIZE = 12
WRAPPED_SIZE = DATA_KEY_SIZE + 16  # the data key and its GCM tag
_ALIAS_IDS = uuid.UUID("6b1f4c2e-9a57-4d0e-8f3a-5c2d7e1b9a40")  # namespace of the key ids aliases get


class UnwrapError(Exception):
    """A data key did not unwrap: another master key, another KMS key or context, or a damaged blob."""


def _hkdf(secret: bytes, info: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(secret)


def aead(key: bytes) -> AESGCM:
    """AES-256-GCM under ``key`` (``cryptography`` is imported by the first encrypted request)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


class Keyring:
    """Derives KEKs, wraps and unwraps data keys, and resolves KMS key names to the ARNs S3 reports."""

    def __init__(self, master_key: bytes, region: str, account_id: str, kms_keys: Iterable[str] = ()) -> None:
        self._master = master_key
        self.region = region
        self.account_id = account_id
        self._keks: dict[tuple[str, str | None], AESGCM] = {}
        self._kms: dict[str, str] = {}  # every accepted name (id, alias, ARN) -> the key's ARN
        for name in (sse.DEFAULT_KMS_ALIAS, *kms_keys):
            self._declare(name)

    def _declare(self, name: str) -> None:
        arn = sse.kms_arn(name, self.region, self.account_id)
        parsed = sse.parse_kms_arn(arn)
        if parsed is None:
            raise ValueError(f"--kms-key {name!r}: not a key id, alias/NAME or KMS key ARN")
        region, account, resource = parsed
        local = (region, account) == (self.region, self.account_id)  # bare ids and aliases name these
        names = [arn, resource] if local else [arn]
        if resource.startswith("alias/"):
            key_id = str(uuid.uuid5(_ALIAS_IDS, f"{account}:{region}:{resource}"))
            arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
            names += [arn, key_id] if local else [arn]
        elif local:
            names.append(resource.removeprefix("key/"))
        for known in names:
            self._kms[known] = arn

    @property
    def kms_keys(self) -> list[str]:
        """The declared keys' ARNs (the ``aws/s3`` key's first)."""
        return list(dict.fromkeys(self._kms.values()))

    def resolve(self, encryption: Encryption | None) -> Encryption | None:
        """``encryption`` with its KMS key as the key ARN S3 reports; KMS.NotFoundException if unknown."""
        if encryption is None or not encryption.algorithm.startswith("aws:kms"):
            return encryption
        named = encryption.kms_key_id or sse.DEFAULT_KMS_ALIAS
        arn = self._kms.get(named) or self._kms.get(sse.kms_arn(named, self.region, self.account_id))
        if arn is None:
            raise sse.kms_key_not_found(sse.kms_arn(named, self.region, self.account_id))
        if arn == encryption.kms_key_id:
            return encryption
        return Encryption(encryption.algorithm, False, arn, encryption.context, encryption.bucket_key)

    # -- data keys ------------------------------------------------------------------------------
    def _kek(self, encryption: Encryption, customer_key: CustomerKey | None) -> AESGCM:
        if encryption.customer:
            if customer_key is None:
                raise sse.customer_key_required()
            return aead(_hkdf(customer_key.key, "s3gate/v1/sse-c"))
        slot = (encryption.algorithm, encryption.kms_key_id)
        kek = self._keks.get(slot)
        if kek is None:
            info = "s3gate/v1/AES256" if encryption.kms_key_id is None else \
                f"s3gate/v1/{encryption.algorithm}/{encryption.kms_key_id}"
            kek = self._keks[slot] = aead(_hkdf(self._master, info))
        return kek

    @staticmethod
    def _aad(encryption: Encryption) -> bytes:
        return b"s3gate data key\x00" + (encryption.context or "").encode()

    def wrap(self, data_key: bytes, encryption: Encryption, customer_key: CustomerKey | None) -> bytes:
        """``nonce || AES-GCM(KEK, data key)``: what a sealed blob keeps of its data key."""
        nonce = os.urandom(WRAP_NONCE_SIZE)
        return nonce + self._kek(encryption, customer_key).encrypt(nonce, data_key, self._aad(encryption))

    def unwrap(self, wrapped: bytes, encryption: Encryption, customer_key: CustomerKey | None) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._kek(encryption, customer_key).decrypt(wrapped[:WRAP_NONCE_SIZE], wrapped[WRAP_NONCE_SIZE:],
                                                               self._aad(encryption))
        except InvalidTag:
            raise UnwrapError("the data key does not unwrap with this keyring") from None

    # -- SSE-C ----------------------------------------------------------------------------------
    @staticmethod
    def verifier(customer_key: CustomerKey) -> str:
        """``salt:HMAC-SHA256(key, salt)`` in base64: checks a key without being able to recover it."""
        salt = os.urandom(16)
        mac = hmac.new(customer_key.key, b"s3gate sse-c verifier\x00" + salt, hashlib.sha256).digest()
        return f"{base64.b64encode(salt).decode()}:{base64.b64encode(mac).decode()}"

    @staticmethod
    def verifies(verifier: str | None, customer_key: CustomerKey) -> bool:
        if not verifier:
            return False
        salt_b64, _, mac_b64 = verifier.partition(":")
        mac = hmac.new(customer_key.key, b"s3gate sse-c verifier\x00" + base64.b64decode(salt_b64),
                       hashlib.sha256).digest()
        return hmac.compare_digest(mac, base64.b64decode(mac_b64))
