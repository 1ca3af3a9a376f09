"""What the local backend's operations ask of encryption: the target a write seals for, SSE-C key
rules, ETags, and opening a sealed blob with an error a client can act on.

A version's encryption column (``records.encryption_json``) is the truth for all of its blobs: a
blob is sealed exactly when the version (or upload) that holds it is encrypted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from gateway.wire import sse
from gateway.wire.errors import Code, S3Error
from storage_backends.base import CustomerKey, Encryption
from storage_backends.catalog.records import encryption_json, encryption_of, verifier_of
from storage_backends.keys.keyring import Keyring, UnwrapError
from storage_backends.local import sealed

log = logging.getLogger("s3gate.encryption")


@dataclass(frozen=True, slots=True)
class Target:
    """How new blobs of a version (or an upload's parts) are sealed: resolved, with the SSE-C key."""

    encryption: Encryption
    column: str  # what the catalog keeps (the SSE-C verifier included)
    customer_key: CustomerKey | None

    def seal(self, keyring: Keyring) -> sealed.Seal:
        return sealed.new_seal(keyring, self.encryption, self.customer_key)

    def same_as(self, column: str | None) -> bool:
        """Blobs sealed under ``column`` open with this target's keys (a copy may share them)."""
        other = encryption_of(column)
        mine = self.encryption
        if other is None or (other.algorithm, other.customer, other.kms_key_id, other.context) != \
                (mine.algorithm, mine.customer, mine.kms_key_id, mine.context):
            return False
        return not mine.customer or (self.customer_key is not None
                                     and Keyring.verifies(verifier_of(column), self.customer_key))


def target(keyring: Keyring, encryption: Encryption | None, customer_key: CustomerKey | None) -> Target | None:
    """The target a write asks for (KMS.NotFoundException for an unknown key: before any byte is read)."""
    resolved = keyring.resolve(encryption)
    if resolved is None:
        return None
    if resolved.customer:
        if customer_key is None:
            raise sse.customer_key_required()
        resolved = Encryption(resolved.algorithm, True, None, None, False, customer_key.md5)
        return Target(resolved, encryption_json(resolved, Keyring.verifier(customer_key)) or "", customer_key)
    return Target(resolved, encryption_json(resolved) or "", None)


def stored_target(column: str | None, customer_key: CustomerKey | None) -> Target | None:
    """The target an upload's parts are sealed for: its column, with the (checked) key of the part."""
    encryption = encryption_of(column)
    return Target(encryption, column or "", customer_key) if encryption is not None else None


def check_read_key(column: str | None, given: CustomerKey | None) -> None:
    """A read (or copy source) of a version: an SSE-C one needs its key, any other refuses one."""
    _check_key(column, given, sse.customer_key_required, sse.customer_key_wrong, sse.customer_key_not_applicable)


def check_part_key(column: str | None, given: CustomerKey | None) -> None:
    """A part (or the completion) of an upload: an SSE-C upload's key, and no key for any other."""
    _check_key(column, given, sse.part_key_required, sse.part_key_mismatch, sse.part_key_mismatch)


def _check_key(column: str | None, given: CustomerKey | None, missing: Callable[[], S3Error],
               wrong: Callable[[], S3Error], unexpected: Callable[[], S3Error]) -> None:
    if not _is_customer(column):
        if given is not None:
            raise unexpected()
    elif given is None:
        raise missing()
    elif not Keyring.verifies(verifier_of(column), given):
        raise wrong()


def _is_customer(column: str | None) -> bool:
    encryption = encryption_of(column)
    return encryption is not None and encryption.customer


def etag_of(to: Target | None, seal: sealed.Seal | None, md5_hex: str) -> str:
    """AWS's rule: SSE-S3 and plaintext objects are tagged with their MD5, SSE-KMS and SSE-C ones not."""
    if to is None or seal is None or (to.encryption.algorithm == "AES256" and not to.encryption.customer):
        return md5_hex
    return seal.etag(md5_hex)


def open_blob(keyring: Keyring, column: str, customer_key: CustomerKey | None, header: bytes, size: int,
              name: str) -> sealed.Opened:
    """Unwrap a blob's data key. One that does not unwrap is a server fault a client cannot fix (the
    data dir's master key was replaced, most likely): 500 with a message that says so, and a log line."""
    encryption = encryption_of(column)
    assert encryption is not None
    try:
        return sealed.open_seal(keyring, encryption, customer_key, header, size, name)
    except UnwrapError:
        log.error("blob %s (%s): its data key does not unwrap with this server's keys: was the master key "
                  "(master.key or --master-key-file) replaced?", name, encryption.algorithm)
        raise S3Error(Code.InternalError, "The object's data key cannot be unwrapped with this server's master "
                      "key.") from None


def unseal_bytes(keyring: Keyring, column: str, customer_key: CustomerKey | None, data: bytes, size: int,
                 name: str) -> bytes:
    """A whole inline body, decrypted (small: at most one chunk)."""
    opened = open_blob(keyring, column, customer_key, data[:sealed.HEADER_SIZE], size, name)
    return bytes(opened.plaintext(sealed.fetch_from(data), 0, size))
