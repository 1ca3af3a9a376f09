"""ListObjects v1/v2: prefixes, delimiters, paging, encoding and order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from lxml import etree

from tests.harness.assertions import error_code, error_code_of
from tests.harness.folders import PREFIX, each, photo_keys, rolled_up
from tests.harness.rawhttp import signed

KEYS = ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "c/4.txt", "d.txt", "dir/", "dir/x", "e/f/g/h"]


def fill(s3, bucket, keys):  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))


def test_prefix_and_delimiter_v2(s3, bucket):
    fill(s3, bucket, KEYS)
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "d.txt"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["b/", "c/", "dir/", "e/"]
    assert top["KeyCount"] == 6
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["b/1.txt", "b/2.txt"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["b/c/"]
    assert inner["Prefix"] == "b/"
    dirs = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in dirs["Contents"]] == ["dir/", "dir/x"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="b")["Contents"]] == \
        ["b/1.txt", "b/2.txt", "b/c/3.txt"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="zzz")


def test_multichar_delimiter(s3, bucket):
    fill(s3, bucket, ["x--1", "x--2", "y", "z--a--b"])
    result = s3.list_objects_v2(Bucket=bucket, Delimiter="--")
    assert [o["Key"] for o in result["Contents"]] == ["y"]
    assert [p["Prefix"] for p in result["CommonPrefixes"]] == ["x--", "z--"]


def test_v2_pagination_with_delimiter_walks_everything_once(s3, bucket):
    fill(s3, bucket, KEYS)
    seen_keys, seen_prefixes = [], []
    kwargs = {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 2}
    while True:
        page = s3.list_objects_v2(**kwargs)
        assert page["KeyCount"] <= 2
        seen_keys += [o["Key"] for o in page.get("Contents", [])]
        seen_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
    assert seen_keys == ["a.txt", "d.txt"]
    assert seen_prefixes == ["b/", "c/", "dir/", "e/"]


def test_v1_marker_paging(s3, bucket):
    fill(s3, bucket, KEYS)
    page = s3.list_objects(Bucket=bucket, MaxKeys=3)
    assert page["IsTruncated"] is True
    assert "NextMarker" not in page  # only sent when a delimiter is used
    assert [o["Key"] for o in page["Contents"]] == KEYS[:3]
    page2 = s3.list_objects(Bucket=bucket, MaxKeys=3, Marker=page["Contents"][-1]["Key"])
    assert [o["Key"] for o in page2["Contents"]] == KEYS[3:6]
    with_delim = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/")
    assert with_delim["NextMarker"] == "b/"
    nxt = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/", Marker=with_delim["NextMarker"])
    assert [p["Prefix"] for p in nxt.get("CommonPrefixes", [])] == ["c/"]
    assert [o["Key"] for o in nxt["Contents"]] == ["d.txt"]
    everything = s3.get_paginator("list_objects").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={
        "PageSize": 1})
    keys = [o["Key"] for p in everything for o in p.get("Contents", [])]
    assert keys == ["a.txt", "d.txt"]


def test_start_after(s3, bucket):
    fill(s3, bucket, KEYS)
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="c/4.txt")
    assert [o["Key"] for o in page["Contents"]] == KEYS[5:]
    assert page["StartAfter"] == "c/4.txt"


def test_default_max_keys_is_1000(s3, bucket):
    fill(s3, bucket, [f"k{i:05d}" for i in range(1003)])
    page = s3.list_objects_v2(Bucket=bucket)
    assert page["MaxKeys"] == 1000 and page["KeyCount"] == 1000 and page["IsTruncated"] is True
    rest = s3.list_objects_v2(Bucket=bucket, ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["k01000", "k01001", "k01002"]
    assert rest["IsTruncated"] is False
    v1 = s3.list_objects(Bucket=bucket, MaxKeys=5000)
    assert len(v1["Contents"]) == 1000 and v1["IsTruncated"] is True


def test_max_keys_zero_and_invalid(s3, bucket, server):
    fill(s3, bucket, ["a"])
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert page["KeyCount"] == 0 and page["IsTruncated"] is False and "Contents" not in page
    response = signed(server, "GET", f"/{bucket}?list-type=2&max-keys=-1")
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"
    response = signed(server, "GET", f"/{bucket}?max-keys=abc")
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"


def test_fetch_owner(s3, bucket):
    fill(s3, bucket, ["a"])
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    owner = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"]
    assert owner["DisplayName"] == "s3gate" and len(owner["ID"]) == 64
    assert s3.list_objects(Bucket=bucket)["Contents"][0]["Owner"]["DisplayName"] == "s3gate"


def test_utf8_binary_order(s3, bucket):
    keys = ["Z", "a", "é", "ß", "日本", "😀", "\u00ff", "\uffef", "A", "_", "~", "0", " "]
    fill(s3, bucket, keys)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_encoding_type_url_on_the_wire(s3, bucket, server):
    fill(s3, bucket, ["a b/c+d", "q&x/y"])
    response = signed(server, "GET", f"/{bucket}?list-type=2&encoding-type=url&delimiter=%2F")
    doc = etree.fromstring(response.content)
    ns = {"s": "http://s3.amazonaws.com/doc/2006-03-01/"}
    assert doc.findtext("s:EncodingType", namespaces=ns) == "url"
    assert [p.text for p in doc.findall("s:CommonPrefixes/s:Prefix", ns)] == ["a%20b/", "q%26x/"]
    # boto3 asks for url encoding and decodes transparently
    assert [p["Prefix"] for p in s3.list_objects_v2(Bucket=bucket, Delimiter="/")["CommonPrefixes"]] == \
        ["a b/", "q&x/"]
    response = signed(server, "GET", f"/{bucket}?list-type=2&encoding-type=base64")
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"


def test_list_document_shape(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    response = signed(server, "GET", f"/{bucket}?list-type=2")
    assert response.headers["content-type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult '
                                       b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">')
    doc = etree.fromstring(response.content)
    ns = {"s": "http://s3.amazonaws.com/doc/2006-03-01/"}
    contents = doc.find("s:Contents", ns)
    assert contents.findtext("s:ETag", namespaces=ns) == '"5d41402abc4b2a76b9719d911017c592"'
    assert contents.findtext("s:LastModified", namespaces=ns).endswith(".000Z")
    assert contents.findtext("s:Size", namespaces=ns) == "5"


def test_listing_missing_bucket(s3):
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert error_code(exc) == "NoSuchBucket"


NS = {"s": "http://s3.amazonaws.com/doc/2006-03-01/"}


def _texts(response, *paths: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    doc = etree.fromstring(response.content)
    return [doc.findtext(f"s:{p}", namespaces=NS) for p in paths]


def test_encoding_type_url_encodes_what_each_listing_encodes(s3, bucket, server):
    """AWS's references name the encoded elements per listing; V1 echoes Prefix as sent (boto3 decodes
    V1's Delimiter, Marker, NextMarker, Key and CommonPrefixes only, and ceph's s3-tests expect a
    newline prefix back as is), V2 encodes Prefix and StartAfter, never the continuation tokens."""
    fill(s3, bucket, ["p q/1", "p q/2", "p q/r s/3"])
    v1 = signed(server, "GET", f"/{bucket}?encoding-type=url&prefix=p%20q%2F&marker=p%20q%2F0&delimiter=%20"
                               "&max-keys=1")
    assert _texts(v1, "Prefix", "Marker", "Delimiter", "NextMarker", "Contents/s:Key") == \
        ["p q/", "p%20q/0", "%20", "p%20q/1", "p%20q/1"]
    newline = signed(server, "GET", f"/{bucket}?encoding-type=url&prefix=%0A")
    assert _texts(newline, "Prefix") == ["\n"]
    assert s3.list_objects(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"  # boto3 asks for url, decodes no Prefix
    assert s3.list_objects(Bucket=bucket, Prefix="p q/", Delimiter=" ", MaxKeys=1)["NextMarker"] == "p q/1"
    v2 = signed(server, "GET", f"/{bucket}?list-type=2&encoding-type=url&prefix=p%20q%2F&start-after=p%20q%2F0"
                               "&delimiter=%20")
    assert _texts(v2, "Prefix", "StartAfter", "Delimiter", "Contents/s:Key", "CommonPrefixes/s:Prefix") == \
        ["p%20q/", "p%20q/0", "%20", "p%20q/1", "p%20q/r%20"]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"


def test_start_after_is_not_echoed_beside_a_continuation_token(s3, bucket):
    """S3 lists from the token and leaves StartAfter out of the answer when a token displaced it."""
    fill(s3, bucket, ["a", "b", "c", "d"])
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    rest = s3.list_objects_v2(Bucket=bucket, StartAfter="c", ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["c", "d"]
    assert rest["ContinuationToken"] == first["NextContinuationToken"] and "StartAfter" not in rest


def test_many_folders_page_by_page_with_markers_on_common_prefixes(s3, bucket):
    keys = photo_keys()
    each(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys)
    expected = rolled_up(keys)
    assert len(expected) == 40 + 7 + 1  # folders, files between them, the folder marker "users/"
    seen, tokens = [], 0
    kwargs = {"Bucket": bucket, "Prefix": PREFIX, "Delimiter": "/", "MaxKeys": 7}
    while True:  # ListObjectsV2: continuation tokens
        page = s3.list_objects_v2(**kwargs)
        entries = sorted([o["Key"] for o in page.get("Contents", [])] +
                         [p["Prefix"] for p in page.get("CommonPrefixes", [])])
        assert page["KeyCount"] == len(entries) <= 7
        seen += entries
        if not page["IsTruncated"]:
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
        tokens += 1
    assert seen == expected and tokens == 6
    seen, markers = [], []
    kwargs = {"Bucket": bucket, "Prefix": PREFIX, "Delimiter": "/", "MaxKeys": 5}
    while True:  # ListObjects: NextMarker is the last key or common prefix of the page
        page = s3.list_objects(**kwargs)
        entries = sorted([o["Key"] for o in page.get("Contents", [])] +
                         [p["Prefix"] for p in page.get("CommonPrefixes", [])])
        seen += entries
        if not page["IsTruncated"]:
            break
        assert page["NextMarker"] == entries[-1]
        kwargs["Marker"] = page["NextMarker"]
        markers.append(page["NextMarker"])
    assert seen == expected
    assert sum(m.endswith("/") for m in markers) >= 5  # most pages end on a common prefix
    tail = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX, Delimiter="/", StartAfter="users/036/")
    assert [p["Prefix"] for p in tail["CommonPrefixes"]] == ["users/037/", "users/038/", "users/039/"]
    assert "Contents" not in tail  # users/036.txt sorts before users/036/
