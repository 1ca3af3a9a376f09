"""What a usage report (``gateway.observe.usage_report``) would cost on AWS, from a dated price table.

The shipped table is us-east-1's (``prices-us-east-1.json``, dated); ``--prices FILE`` gives another in
the same shape. Per bucket and class:

- storage: GB-months x the class's price, versions under ``min_billable_bytes`` billed at that size
  (the accounting counts versions under 128 KiB, so a table's minimum is 0 or 131072), plus for the
  archive classes the per-object overhead (``overhead_bytes`` at the class's price and
  ``overhead_standard_bytes`` at STANDARD's), plus INTELLIGENT_TIERING's monitoring per object-month
  of its versions of 128 KiB or more;
- requests: tier 1 and tier 2 per 1,000, at the rates of the class the request named (STANDARD else);
- retrievals per GB (IA reads), restores per 1,000 and per GB (at the Standard retrieval tier),
  lifecycle transitions per 1,000 into the class;
- early deletions: versions that left a class before ``min_storage_days`` pay the remaining days.

Per bucket, bytes sent out are priced at ``transfer_out_per_gb``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SHIPPED = "prices-us-east-1.json"
GIB = 2 ** 30
SMALL_OBJECT = 128 * 1024
CLASS_FIELDS = ("storage_per_gb_month", "tier1_per_1000", "tier2_per_1000", "retrieval_per_gb",
                "transition_per_1000", "restore_per_1000", "restore_per_gb", "min_storage_days",
                "min_billable_bytes", "overhead_bytes", "overhead_standard_bytes", "monitoring_per_1000_objects")
PARTS = ("storage", "requests", "retrievals", "transitions", "early_deletions")

Prices = dict[str, Any]


class PriceTableError(ValueError):
    """A price table that cannot price the accounting (the message says which field)."""


def load_prices(path: str | None = None) -> Prices:
    """The table at ``path``, or the shipped us-east-1 one; checked before use."""
    if path is None:
        text = resources.files("gateway.observe").joinpath(SHIPPED).read_text(encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceTableError(f"{path}: not JSON ({exc})") from None
    _check(table, path or SHIPPED)
    return table  # type: ignore[no-any-return]


def _check(table: Any, name: str) -> None:
    if not isinstance(table, dict) or not isinstance(table.get("classes"), dict) or "STANDARD" not in table["classes"]:
        raise PriceTableError(f"{name}: needs a 'classes' object with at least STANDARD")
    if not isinstance(table.get("transfer_out_per_gb"), int | float):
        raise PriceTableError(f"{name}: needs a number 'transfer_out_per_gb'")
    for cls, row in table["classes"].items():
        for field in CLASS_FIELDS:
            if not isinstance(row.get(field), int | float) or row[field] < 0:
                raise PriceTableError(f"{name}: classes.{cls}.{field} must be a number, 0 or more")
        if row["min_billable_bytes"] not in (0, SMALL_OBJECT):
            raise PriceTableError(f"{name}: classes.{cls}.min_billable_bytes must be 0 or {SMALL_OBJECT} (the "
                                  "accounting counts versions under 128 KiB)")
        if row["min_storage_days"] > 365 or row["min_storage_days"] != int(row["min_storage_days"]):
            raise PriceTableError(f"{name}: classes.{cls}.min_storage_days must be whole days, at most 365")


def _row(prices: Prices, cls: str) -> dict[str, float]:
    """A class's prices; one the table does not list is priced as STANDARD."""
    return prices["classes"].get(cls) or prices["classes"]["STANDARD"]  # type: ignore[no-any-return]


def _storage(prices: Prices, cls: str, s: dict[str, Any]) -> float:
    row, standard = _row(prices, cls), _row(prices, "STANDARD")
    gb_months = float(s["gb_months"])
    if row["min_billable_bytes"]:
        gb_months += s["small_object_months"] * row["min_billable_bytes"] / GIB - s["small_gb_months"]
    cost = gb_months * row["storage_per_gb_month"]
    cost += s["object_months"] * (row["overhead_bytes"] / GIB * row["storage_per_gb_month"]
                                  + row["overhead_standard_bytes"] / GIB * standard["storage_per_gb_month"])
    cost += (s["object_months"] - s["small_object_months"]) * row["monitoring_per_1000_objects"] / 1000
    return float(cost)


def _early(prices: Prices, cls: str, rows: list[dict[str, Any]], month_days: float) -> float:
    row = _row(prices, cls)
    days = row["min_storage_days"]
    shortfall = sum(float(r["bytes"]) / GIB * days / month_days - r["gb_months_stored"] for r in rows
                    if r["age_days"] < days)
    return float(shortfall * row["storage_per_gb_month"])


def _bucket(b: dict[str, Any], prices: Prices, month_days: float) -> dict[str, Any]:
    classes: dict[str, dict[str, float]] = {}

    def part(cls: str, what: str, amount: float) -> None:
        classes.setdefault(cls, dict.fromkeys(PARTS, 0.0))[what] += amount

    for cls, s in b["storage"].items():
        part(cls, "storage", _storage(prices, cls, s))
    for cls, r in b["requests"].items():
        row = _row(prices, cls)
        part(cls, "requests", r["tier1"] / 1000 * row["tier1_per_1000"] + r["tier2"] / 1000 * row["tier2_per_1000"])
    for cls, r in b["retrievals"].items():
        part(cls, "retrievals", r["bytes"] / GIB * _row(prices, cls)["retrieval_per_gb"])
    for cls, r in b["restores"].items():
        row = _row(prices, cls)
        restore = r["requests"] / 1000 * row["restore_per_1000"] + r["bytes"] / GIB * row["restore_per_gb"]
        part(cls, "retrievals", restore)
    for cls, r in b["transitions"].items():
        part(cls, "transitions", r["requests"] / 1000 * _row(prices, cls)["transition_per_1000"])
    for cls, rows in b["early_deletions"].items():
        part(cls, "early_deletions", _early(prices, cls, rows, month_days))
    for c in classes.values():
        c["total"] = sum(c[p] for p in PARTS)
    transfer = b["bytes_out"] / GIB * prices["transfer_out_per_gb"]
    return {"classes": classes, "transfer_out": transfer, "total": sum(c["total"] for c in classes.values()) + transfer}


def price(document: dict[str, Any], prices: Prices) -> dict[str, Any]:
    """Cost per bucket and class (and each part of it), per bucket, and in all."""
    month_days = document["gb_month"]["days"]
    buckets = {name: _bucket(b, prices, month_days) for name, b in document["buckets"].items()}
    return {"region": prices.get("region"), "prices_date": prices.get("date"),
            "currency": prices.get("currency", "USD"), "since": document["since"], "now": document["now"],
            "buckets": buckets, "total": sum(b["total"] for b in buckets.values())}
