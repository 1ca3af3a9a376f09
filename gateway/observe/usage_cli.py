"""``s3gate usage``: a running gateway's usage report (``GET /_s3gate/admin/usage``), as a table or JSON,
priced with ``--cost`` (``gateway.observe.pricing``), charted with ``--chart FILE.png`` (matplotlib)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from typing import Any
from urllib.parse import urlsplit

from gateway.observe import pricing
from gateway.settings import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

PATH = "/_s3gate/admin/usage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--endpoint", default=env("S3GATE_ENDPOINT", "http://127.0.0.1:9000"),
                        help="the gateway's URL [env S3GATE_ENDPOINT, default http://127.0.0.1:9000]")
    parser.add_argument("--access-key", default=env("S3GATE_ACCESS_KEY", DEFAULT_ACCESS_KEY),
                        help="root access key [env S3GATE_ACCESS_KEY]")
    parser.add_argument("--secret-key", default=env("S3GATE_SECRET_KEY", DEFAULT_SECRET_KEY),
                        help="root secret key [env S3GATE_SECRET_KEY]")
    parser.add_argument("--region", default=env("S3GATE_REGION", "us-east-1"),
                        help="the region to sign for [env S3GATE_REGION, default us-east-1]")
    parser.add_argument("--ca-bundle", default=env("S3GATE_CA_BUNDLE"), help="PEM CAs to trust for HTTPS")
    parser.add_argument("--json", action="store_true", help="print JSON (the report, and with --cost its price)")
    parser.add_argument("--cost", action="store_true", help="price the usage with AWS's prices (us-east-1's)")
    parser.add_argument("--prices", metavar="FILE", help="price with this table instead (implies --cost)")
    parser.add_argument("--chart", metavar="FILE.png", help="write a PNG of cost per bucket and class (implies --cost)")


def fetch(endpoint: str, access_key: str, secret_key: str, region: str, ca_bundle: str | None = None) -> Any:
    """The report, signed with SigV4 as any admin request."""
    import httpx

    from gateway.wire.sigv4 import sign

    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": urlsplit(endpoint).netloc, "x-amz-content-sha256": payload}
    sign("GET", PATH, "", headers, payload, access_key=access_key, secret_key=secret_key, region=region,
         service="s3")
    response = httpx.get(endpoint.rstrip("/") + PATH, headers=headers, verify=ca_bundle or True, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{endpoint} answered {response.status_code}: {response.text.strip()[:500]}")
    return response.json()


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def table(document: dict[str, Any], cost: dict[str, Any] | None) -> str:
    """One row per bucket and class: stored now, GB-months accrued, requests, and (with ``cost``) dollars."""
    head = f"{'bucket':<24} {'class':<20} {'objects':>8} {'stored':>11} {'GB-months':>11} {'tier1':>7} {'tier2':>7}"
    lines = [f"usage from {document['since']} to {document['now']}", head + ("    cost USD" if cost else "")]
    for name, b in document["buckets"].items():
        classes = sorted(set(b["storage"]) | set(b["requests"]) | set(b["early_deletions"]) | set(b["retrievals"]))
        for cls in classes:
            s = b["storage"].get(cls, {"objects": 0, "bytes": 0, "gb_months": 0.0})
            r = b["requests"].get(cls, {"tier1": 0, "tier2": 0})
            row = (f"{name:<24} {cls:<20} {s['objects']:>8} {_size(s['bytes']):>11} {s['gb_months']:>11.6f} "
                   f"{r['tier1']:>7} {r['tier2']:>7}")
            if cost:
                row += f" {cost['buckets'][name]['classes'].get(cls, {}).get('total', 0.0):>11.6f}"
            lines.append(row)
        extra = f"{'':<24} bytes sent {_size(b['bytes_out'])}"
        if cost:
            extra += f", transfer out {cost['buckets'][name]['transfer_out']:.6f}; bucket total " \
                     f"{cost['buckets'][name]['total']:.6f}"
        lines.append(extra)
    if cost:
        lines.append(f"total {cost['total']:.6f} {cost['currency']} at {cost['region']} prices of "
                     f"{cost['prices_date']}")
    return "\n".join(lines)


def chart(cost: dict[str, Any], path: str) -> None:
    """Stacked bars: each bucket's cost, by storage class (transfer out on top)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("--chart needs matplotlib: pip install 's3gate[chart]'") from None
    buckets = list(cost["buckets"])
    classes = sorted({c for b in cost["buckets"].values() for c in b["classes"]})
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(buckets) + 3), 4.5))
    bottom = [0.0] * len(buckets)
    for cls in [*classes, "transfer out"]:
        values = [cost["buckets"][b]["transfer_out"] if cls == "transfer out"
                  else cost["buckets"][b]["classes"].get(cls, {}).get("total", 0.0) for b in buckets]
        ax.bar(buckets, values, bottom=bottom, label=cls)
        bottom = [x + y for x, y in zip(bottom, values, strict=True)]
    ax.set_ylabel(f"cost ({cost['currency']})")
    ax.set_title(f"AWS-equivalent cost, {cost['since'][:10]} to {cost['now'][:10]} "
                 f"({cost['region']} prices of {cost['prices_date']})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def main(args: argparse.Namespace) -> int:
    import httpx

    try:
        document = fetch(args.endpoint, args.access_key, args.secret_key, args.region, args.ca_bundle)
        cost = None
        if args.cost or args.prices or args.chart:
            cost = pricing.price(document, pricing.load_prices(args.prices))
        if args.chart and cost is not None:
            chart(cost, args.chart)
    except (RuntimeError, OSError, httpx.HTTPError, pricing.PriceTableError) as exc:
        print(f"s3gate usage: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"usage": document, "cost": cost} if cost else document, indent=1))
    else:
        print(table(document, cost))
    return 0
