"""gateway.settings' option table in process: it covers Settings, and parses, checks and exports as before."""

from __future__ import annotations

import dataclasses
import re

import pytest

from gateway import cli
from gateway.settings import OPTIONS, ConfigError, Settings, settings_from_env, settings_to_env
from storage_backends.base import FreeSpaceReserve


def test_every_settings_field_has_one_option():
    fields = [f.name for f in dataclasses.fields(Settings) if f.name != "users"]  # the accounts come from users_file
    assert sorted(o.field for o in OPTIONS) == sorted(fields)
    assert len({o.env for o in OPTIONS}) == len(OPTIONS)
    assert all(o.env == "S3GATE_" + (o.flag or o.field).upper().replace("-", "_")
               for o in OPTIONS if o.flag not in ("users", "domain", "storage-class-dir", "notify-target", "kms-key"))


def test_only_the_root_credentials_have_no_flag():
    assert {o.env for o in OPTIONS if o.flag is None} == {"S3GATE_ACCESS_KEY", "S3GATE_SECRET_KEY"}
    serve = cli.build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    flags = {s for action in serve._actions for s in action.option_strings} - {"-h", "--help"}
    assert flags == {f"--{o.flag}" for o in OPTIONS if o.flag}


@pytest.mark.parametrize("option", [o for o in OPTIONS if "(default " in o.help], ids=lambda o: o.field)
def test_help_states_the_real_default(option):
    stated = re.search(r"\(default ([^)]+)\)", option.help)
    assert stated is not None
    default = option.default
    shown = ",".join(default) if isinstance(default, tuple) else f"{default:g}" if isinstance(default, float) \
        else str(default)
    assert stated.group(1) == shown


def test_defaults():
    assert settings_from_env({}) == Settings()


@pytest.mark.parametrize("env, message", [
    ({"S3GATE_PORT": "http"}, "port must be a whole number, got 'http'"),
    ({"S3GATE_PORT": "65536"}, "port must be 0-65535, got 65536"),
    ({"S3GATE_WORKERS": "0"}, "workers must be at least 1, got 0"),
    ({"S3GATE_WORKERS": "two"}, "workers must be a whole number, got 'two'"),
    ({"S3GATE_MAX_CONNECTIONS": "0"}, "max-connections must be at least 1, got 0"),
    ({"S3GATE_HEADER_TIMEOUT": "0"}, "header-timeout must be positive, got '0'"),
    ({"S3GATE_LIFECYCLE_DAY_SECONDS": "0"}, "lifecycle-day-seconds must be positive, got '0'"),
    ({"S3GATE_RESTORE_DELAY_SECONDS": "-1"}, "restore-delay-seconds must be positive, got '-1'"),
    ({"S3GATE_UPSTREAM_TIMEOUT": "soon"}, "upstream-timeout must be a number of seconds, got 'soon'"),
    ({"S3GATE_UPSTREAM_INSECURE": "maybe"}, "upstream insecure must be true or false, got 'maybe'"),
    ({"S3GATE_STORAGE_CLASS_DIR": "GLACIER"}, "storage-class-dir entries look like CLASS=DIRECTORY, got 'GLACIER'"),
    ({"S3GATE_CERTFILE": "/x.pem"}, "--certfile and --keyfile go together"),
    ({"S3GATE_CERTFILE": "/x.pem", "S3GATE_KEYFILE": "/x.pem"}, "TLS file /x.pem: no such file"),
    ({"S3GATE_BACKEND": "disk"}, "backend must be one of local, upstream, got 'disk'"),
    ({"S3GATE_UPSTREAM_REGION": "eu-west-1", "S3GATE_UPSTREAM_INSECURE": "1"},
     "--upstream-region, --upstream-insecure are only used with --backend upstream (the backend is 'local')"),
    ({"S3GATE_BACKEND": "upstream"}, "--backend upstream needs --upstream-endpoint URL (or S3GATE_UPSTREAM_ENDPOINT)"),
    ({"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": "ftp://h"},
     "--upstream-endpoint must look like http(s)://host[:port], got 'ftp://h'"),
    ({"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": "http://h", "S3GATE_UPSTREAM_ACCESS_KEY": "a"},
     "--upstream-access-key and --upstream-secret-key go together"),
    ({"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": "http://h",
      "S3GATE_UPSTREAM_ADDRESSING_STYLE": "dns"}, "--upstream-addressing-style must be path or virtual, got 'dns'"),
    ({"S3GATE_MIN_FREE_SPACE": "100%"}, "min-free-space: a percentage is 0% to 99%, got '100%'"),
    ({"S3GATE_MIN_FREE_SPACE": "lots"}, "min-free-space must be a percentage (1%) or a size (500MB, 2GiB, bytes)"),
    ({"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": "http://h", "S3GATE_MIN_FREE_SPACE": "1GB"},
     "--min-free-space is only used with --backend local"),
    ({"S3GATE_KMS_KEYS": "good-id,arn:aws:s3:::bucket"}, "kms-key 'arn:aws:s3:::bucket': not a KMS key id"),
    ({"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": "http://h", "S3GATE_KMS_KEYS": "k"},
     "--kms-key: only used with --backend local"),
    ({"S3GATE_MASTER_KEY_FILE": "/no/such/master.key"}, "master key file /no/such/master.key: cannot read it"),
    ({"S3GATE_WEBSITE_PORT": "9000"}, "--website-port must be a port of its own (not 0 nor --port), got 9000"),
    ({"S3GATE_WEBSITE_PORT": "0"}, "--website-port must be a port of its own"),
    ({"S3GATE_WEBSITE_DOMAIN": "a.example,b.example"}, "website-domain must be one domain"),
])
def test_refused(env, message):
    with pytest.raises(ConfigError) as exc:
        settings_from_env(env)
    assert str(exc.value).startswith(message)


def test_values_are_parsed():
    settings = settings_from_env({
        "S3GATE_PORT": "0", "S3GATE_WORKERS": "3", "S3GATE_DOMAIN": "A.example., b.example,,",
        "S3GATE_RESTORE_DELAY_SECONDS": "0", "S3GATE_STORAGE_CLASS_DIR": "glacier=/cold, DEEP_ARCHIVE = /colder",
        "S3GATE_ACCESS_KEY": "root", "S3GATE_HOST": "", "S3GATE_BACKEND": "upstream",
        "S3GATE_UPSTREAM_ENDPOINT": "https://s3.example:8443", "S3GATE_UPSTREAM_INSECURE": "yes",
        "S3GATE_WEBSITE_PORT": "8080", "S3GATE_WEBSITE_DOMAIN": "Sites.Example.",
    })
    assert (settings.website_port, settings.website_domain) == (8080, "sites.example")
    assert (settings.port, settings.workers, settings.host, settings.access_key) == (0, 3, "127.0.0.1", "root")
    assert settings.domains == ("a.example", "b.example")
    assert settings.restore_delay_seconds == 0.0
    assert settings.storage_class_dirs == (("GLACIER", "/cold"), ("DEEP_ARCHIVE", "/colder"))
    assert settings.upstream_insecure is True


@pytest.mark.parametrize("raw, reserve", [
    ("1%", FreeSpaceReserve(percent=1.0)), (" 0.5 % ", FreeSpaceReserve(percent=0.5)),
    ("500MB", FreeSpaceReserve(size=500_000_000)), ("2GiB", FreeSpaceReserve(size=2 * 2**30)),
    ("64 mib", FreeSpaceReserve(size=64 * 2**20)), ("1048576", FreeSpaceReserve(size=2**20)),
    ("0", FreeSpaceReserve()),
])
def test_min_free_space_is_a_percentage_or_a_size(raw, reserve):
    settings = settings_from_env({"S3GATE_MIN_FREE_SPACE": raw})
    assert settings.min_free_space == reserve
    assert settings_from_env(settings_to_env(settings)) == settings
    assert Settings().min_free_space.bytes_of(40_000_000) == 400_000  # the default: 1% of each disk


def test_export_round_trips():
    settings = settings_from_env({"S3GATE_STORAGE_CLASS_DIR": "GLACIER=/cold", "S3GATE_DOMAIN": "x.example"})
    environ = settings_to_env(settings)
    assert environ["S3GATE_UPSTREAM_INSECURE"] == "False"
    assert environ["S3GATE_LIFECYCLE_DAY_SECONDS"] == "86400.0"
    assert environ["S3GATE_STORAGE_CLASS_DIR"] == "GLACIER=/cold"
    assert "S3GATE_CERTFILE" not in environ and "S3GATE_USERS" not in environ
    assert settings_from_env(environ) == settings
    assert "S3GATE_STORAGE_CLASS_DIR" not in settings_to_env(Settings())


def test_flag_beats_environment_and_switches_mean_true():
    args = cli.build_parser().parse_args(["serve", "--port", "1234", "--backend", "upstream",
                                          "--upstream-endpoint", "http://h", "--upstream-insecure"])
    settings = cli.resolve_settings(args, {"S3GATE_PORT": "99", "S3GATE_REGION": "eu-west-1"})
    assert (settings.port, settings.region, settings.upstream_insecure) == (1234, "eu-west-1", True)


def test_kms_keys_repeat_as_flags_and_list_in_their_variable():
    args = cli.build_parser().parse_args(["serve", "--kms-key", "alias/photos", "--kms-key",
                                          "arn:aws:kms:us-east-1:000000000000:key/k2"])
    settings = cli.resolve_settings(args, {"S3GATE_KMS_KEYS": "ignored"})
    assert settings.kms_keys == ("alias/photos", "arn:aws:kms:us-east-1:000000000000:key/k2")
    assert settings_from_env(settings_to_env(settings)) == settings
    assert settings_from_env({"S3GATE_KMS_KEYS": " a, b ,"}).kms_keys == ("a", "b")
    assert "S3GATE_KMS_KEYS" not in settings_to_env(Settings())
