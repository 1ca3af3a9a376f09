"""The keyring: KMS key names as S3 reports them, unknown keys refused, the SSE-C verifier, the master key file."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.wire.errors import S3Error
from storage_backends.base import CustomerKey, Encryption
from storage_backends.keys.keyring import Keyring
from storage_backends.keys.master import KeyringError, load_master_key

ACCOUNT, REGION = "111122223333", "eu-west-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"


def ring(*declared: str) -> Keyring:
    return Keyring(os.urandom(32), REGION, ACCOUNT, declared)


def kms_of(keyring: Keyring, key_id: str | None) -> str | None:
    resolved = keyring.resolve(Encryption("aws:kms", kms_key_id=key_id))
    assert resolved is not None
    return resolved.kms_key_id


def test_bare_ids_arns_and_aliases_name_the_same_key_arn() -> None:
    keyring = ring(KEY_ID, "alias/photos")
    assert kms_of(keyring, KEY_ID) == ARN
    assert kms_of(keyring, ARN) == ARN
    photos = kms_of(keyring, "alias/photos")
    assert photos is not None and photos.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert kms_of(keyring, f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/photos") == photos
    assert kms_of(keyring, photos.rsplit("/", 1)[1]) == photos
    default = kms_of(keyring, None)
    assert default == kms_of(keyring, "alias/aws/s3") and default is not None and ":key/" in default
    assert keyring.kms_keys[0] == default and ARN in keyring.kms_keys
    assert kms_of(ring(), None) == default  # the aws/s3 key's id is stable: same account, region


def test_an_unknown_kms_key_is_kms_not_found() -> None:
    keyring = ring(KEY_ID)
    for name, shown in [("nope", f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/nope' does not exist"),
                        ("alias/nope", f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/nope is not found."),
                        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}", None)]:
        with pytest.raises(S3Error) as refused:
            keyring.resolve(Encryption("aws:kms:dsse", kms_key_id=name))
        assert (refused.value.code, refused.value.status) == ("KMS.NotFoundException", 400)
        if shown:
            assert refused.value.message == shown
    with pytest.raises(ValueError):
        ring("arn:aws:s3:::not-a-key")


def test_the_customer_key_verifier_checks_without_keeping_the_key() -> None:
    key = CustomerKey(os.urandom(32), "md5")
    verifier = Keyring.verifier(key)
    assert key.key.hex() not in verifier and verifier != Keyring.verifier(key)  # salted
    assert Keyring.verifies(verifier, key)
    assert not Keyring.verifies(verifier, CustomerKey(os.urandom(32), "md5"))
    assert not Keyring.verifies(None, key)


def test_the_master_key_file_is_made_once_0600_and_reused(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:  # workers starting together all get the one key
        keys = set(pool.map(lambda _: load_master_key(tmp_path), range(16)))
    assert len(keys) == 1 and len(next(iter(keys))) == 32
    path = tmp_path / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key"]
    assert load_master_key(tmp_path) == path.read_bytes()


def test_a_bad_master_key_file_refuses_to_start(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 16)
    with pytest.raises(KeyringError, match="16 bytes"):
        load_master_key(tmp_path, str(short))
    with pytest.raises(KeyringError, match="cannot read"):
        load_master_key(tmp_path, str(tmp_path / "missing.key"))
    given = tmp_path / "given.key"
    given.write_bytes(b"k" * 32)
    assert load_master_key(tmp_path / "data", str(given)) == b"k" * 32
    assert not (tmp_path / "data").exists()
