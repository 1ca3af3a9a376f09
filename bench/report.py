"""Turn a run's samples into results.md (medians, ratios, targets) and chart.png.

Every ratio is an advantage of s3gate over a peer: value / peer's value where more is better
(ops/s, MB/s) and peer's value / value where less is better (latency, time, memory), so in the
tables and the chart alike, above 1 means s3gate is ahead.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.suite import SMALL, SMALL_SSE, Results

Medians = dict[str, dict[str, dict[str, float]]]  # workload -> server -> metric -> median


@dataclass(frozen=True)
class Row:
    label: str
    workload: str
    metric: str
    higher_better: bool
    scale: float = 1.0
    latency: bool = False  # show p50/p99 beside the value
    chart: bool = True


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per metric, the median over the rounds that measured it."""
    names = dict.fromkeys(name for run in runs for name in run)
    return {name: statistics.median(run[name] for run in runs if name in run) for name in names}


def medians(samples: dict[str, dict[str, list[dict[str, float]]]]) -> Medians:
    return {w: {s: _median(runs) for s, runs in by_server.items()} for w, by_server in samples.items()}


def size_label(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 and n % (1 << 30) == 0 else f"{n >> 20} MiB"


def rows(sizes: dict[str, int]) -> dict[str, list[Row]]:
    single, mp = size_label(sizes["single_bytes"]), size_label(sizes["multipart_bytes"])
    keys, big = f"{sizes['list_keys']:,}", f"{sizes['big_list_keys']:,}"
    folders = sizes.get("folders", 1000)
    shown = f"{min(folders, 1000):,}"
    return {
        "4 KiB objects (ops/s; p50 / p99 latency in ms)": [
            Row(f"{m} c={c}", f"{m.lower()}_c{c}", "ops_s", True, latency=True) for m, c in SMALL],
        "4 KiB objects: the server's CPU time per request (µs, all its processes)": [
            Row(f"{m} c={c}", f"{m.lower()}_c{c}", "cpu_us", False, chart=False) for m, c in SMALL if c == 16],
        "SSE-S3 (s3gate: a bucket with SSE-S3 default encryption, as the aws bucket defaults give)": [
            *(Row(f"4 KiB {m} c={c}, SSE-S3 (ops/s)", f"{m.lower()}_c{c}_sse", "ops_s", True, latency=True,
                  chart=False) for m, c in SMALL_SSE),
            *(Row(f"4 KiB {m} c={c}, SSE-S3: CPU per request (µs)", f"{m.lower()}_c{c}_sse", "cpu_us", False,
                  chart=False) for m, c in SMALL_SSE),
            Row(f"{single} PUT, SSE-S3 (MB/s)", "single_sse", "put_mbs", True, chart=False),
            Row(f"{single} GET, SSE-S3 (MB/s)", "single_sse", "get_mbs", True, chart=False),
            Row(f"server CPU during {single} PUT, SSE-S3 (s)", "single_sse", "put_cpu_s", False, chart=False)],
        "Authorization: 4 KiB at c=16 by an IAM user with an identity policy (ops/s; p50 / p99 ms)": [
            Row(f"{m} c=16, {where}", f"authz_{m.lower()}_{label}", "ops_s", True, latency=True, chart=False)
            for m in ("GET", "PUT") for label, where in (("free", "no bucket policy"),
                                                        ("policy", "10-statement bucket policy"))],
        "Listing (ListObjectsV2, pages of 1,000)": [
            Row(f"{keys} keys: first page (ms)", "list", "first_page_ms", False),
            Row(f"{keys} keys: full walk (ms)", "list", "walk_s", False, scale=1000),
            Row(f"{big} keys: first page (ms)", "list_big", "first_page_ms", False),
            Row(f"{big} keys: page from the middle (ms)", "list_big", "middle_page_ms", False),
            Row(f"{big} keys: full walk (s)", "list_big", "walk_s", False)],
        f"Folder listings (Prefix=users/ Delimiter=/ over {folders} folders)": [
            Row(f"{keys} keys: {shown} common prefixes (ms)", "folders", "prefixes_ms", False),
            Row(f"{keys} keys: one user's folder (ms)", "folders", "folder_ms", False),
            Row(f"{big} keys: {shown} common prefixes (ms)", "folders_big", "prefixes_ms", False),
            Row(f"{big} keys: 100 common prefixes, MaxKeys=100 (ms)", "folders_big", "prefixes_100_ms", False),
            Row(f"{big} keys: one user's folder (ms)", "folders_big", "folder_ms", False),
            Row(f"{big} keys: ListObjectVersions, {shown} common prefixes (ms)", "folders_big",
                "versions_prefixes_ms", False),
            Row(f"{big} uploads: ListMultipartUploads, {shown} common prefixes (ms)", "folders_big",
                "uploads_prefixes_ms", False)],
        "Large objects (MB/s; peak RSS of the server's processes in MB)": [
            Row(f"{single} PUT (MB/s)", "single", "put_mbs", True),
            Row(f"{single} GET (MB/s)", "single", "get_mbs", True),
            Row(f"{mp} multipart PUT, 8 MiB parts x4 (MB/s)", "multipart", "put_mbs", True),
            Row(f"{mp} GET (MB/s)", "multipart", "get_mbs", True),
            Row(f"server CPU during {single} PUT (s)", "single", "put_cpu_s", False, chart=False),
            Row("of which main threads (s3gate: event loop) (s)", "single", "put_loop_cpu_s", False, chart=False),
            Row(f"RSS during {single} PUT (MB)", "single", "rss_put_mb", False, chart=False),
            Row(f"RSS during {single} GET (MB)", "single", "rss_get_mb", False, chart=False),
            Row(f"RSS during {mp} multipart PUT (MB)", "multipart", "rss_put_mb", False),
            Row(f"RSS during {mp} GET (MB)", "multipart", "rss_get_mb", False),
            Row(f"PSS during {mp} multipart PUT (MB)", "multipart", "pss_put_mb", False, chart=False),
            Row(f"PSS during {mp} GET (MB)", "multipart", "pss_get_mb", False, chart=False)],
        "Start-up": [
            Row("cold start to first 200 (ms)", "cold", "cold_start_s", False, scale=1000),
            Row("idle RSS after start (MB)", "cold", "idle_rss_mb", False),
            Row("idle PSS after start (MB)", "cold", "idle_pss_mb", False, chart=False)],
    }


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 1 else f"{value:.2g}"


def value(med: Medians, row: Row, server: str) -> float | None:
    got = med.get(row.workload, {}).get(server, {}).get(row.metric)
    return None if got is None else got * row.scale


def advantage(mine: float | None, theirs: float | None, higher_better: bool) -> float | None:
    if not mine or not theirs:
        return None
    return mine / theirs if higher_better else theirs / mine


def table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in body)]


def split(results: Results) -> tuple[list[str], list[str]]:
    subjects = [p for p in results["peers"] if p.startswith("s3gate")]
    return subjects, [p for p in results["peers"] if p not in subjects]


def section_tables(results: Results, med: Medians) -> list[str]:
    subjects, peers = split(results)
    servers = subjects + peers
    pairs = [(s, p) for s in subjects for p in peers]
    header = ["metric", *servers, *((f"vs {p}" if len(subjects) == 1 else f"{s} vs {p}") for s, p in pairs)]
    out: list[str] = []
    for title, section in rows(results["sizes"]).items():
        body = []
        for row in section:
            cells = []
            for server in servers:
                v = value(med, row, server)
                text = fmt(v)
                if row.latency and v is not None:
                    m = med[row.workload][server]
                    text += f" ({fmt(m['p50_ms'])} / {fmt(m['p99_ms'])})"
                cells.append(text)
            ratios = [advantage(value(med, row, s), value(med, row, p), row.higher_better) for s, p in pairs]
            if any(c != "—" for c in cells):
                body.append([row.label, *cells, *((f"{fmt(r)}×" if r else "—") for r in ratios)])
        if body:
            out += [f"### {title}", "", *table(header, body), ""]
    return out


Check = Callable[[Medians, Results, str], tuple[float | None, float | None]]  # (value, threshold)


@dataclass(frozen=True)
class Target:
    label: str
    measure: Check
    higher_better: bool
    unit: str


def _metric(workload: str, metric: str, server: str | None = None, factor: float = 1.0
            ) -> Callable[[Medians, str], float | None]:
    def get(med: Medians, subject: str) -> float | None:
        got = med.get(workload, {}).get(server or subject, {}).get(metric)
        return None if got is None else got * factor
    return get


def _vs(workload: str, metric: str, peer: str, factor: float) -> Callable[[Medians, Results, str],
                                                                         tuple[float | None, float | None]]:
    return lambda med, res, subject: (_metric(workload, metric)(med, subject),
                                      _metric(workload, metric, peer, factor)(med, subject))


def _against(workload: str, metric: str, base: str, factor: float) -> Check:
    """The same server's ``workload`` against ``factor`` times its ``base`` workload (issue 13: SSE-S3)."""
    return lambda med, res, subject: (_metric(workload, metric)(med, subject),
                                      _metric(base, metric, factor=factor)(med, subject))


def _fixed(workload: str, metric: str, limit: float, scale: float = 1.0) -> Callable[
        [Medians, Results, str], tuple[float | None, float | None]]:
    return lambda med, res, subject: (_metric(workload, metric, factor=scale)(med, subject), limit)


def _memory(kind: str) -> Check:
    """Peak RSS or PSS sum of the server's processes through the multipart upload and download."""
    def check(med: Medians, res: Results, subject: str) -> tuple[float | None, float | None]:
        got = [med.get("multipart", {}).get(subject, {}).get(f"{kind}_{m}_mb") for m in ("put", "get")]
        return (max(g for g in got if g is not None) if any(g is not None for g in got) else None), 150.0

    return check


def _md5_floor(med: Medians, res: Results, subject: str) -> tuple[float | None, float | None]:
    """A large PUT computes MD5 of one stream, which no number of cores speeds up: its bound."""
    md5 = res.get("hash", {}).get("md5")
    return _metric("single", "put_mbs")(med, subject), None if md5 is None else 0.9 * md5


def targets(sizes: dict[str, int]) -> list[Target]:
    single, mp = size_label(sizes["single_bytes"]), size_label(sizes["multipart_bytes"])
    out = []
    for method in ("GET", "HEAD"):
        w = f"{method.lower()}_c16"
        out += [Target(f"4 KiB {method} c=16 ≥ 3× s3rver", _vs(w, "ops_s", "s3rver", 3), True, "ops/s"),
                Target(f"4 KiB {method} c=16 ≥ 15× moto", _vs(w, "ops_s", "moto", 15), True, "ops/s")]
    # Issue 12: with the better of 1 or 2 workers (each worker count is a subject of its own here).
    out.append(Target("4 KiB PUT c=16 ≥ 3× s3rver", _vs("put_c16", "ops_s", "s3rver", 3), True, "ops/s"))
    return out + [
        Target(f"{single} GET ≥ 50% of nginx", _vs("single", "get_mbs", "nginx", 0.5), True, "MB/s"),
        Target(f"{single} PUT ≥ 90% of MD5 on one core", _md5_floor, True, "MB/s"),
        *(Target(f"{single} {m.upper()} with SSE-S3 ≥ 70% of unencrypted",
                 _against("single_sse", f"{m}_mbs", "single", 0.7), True, "MB/s") for m in ("put", "get")),
        Target(f"list {sizes['list_keys']:,} keys, full walk < 150 ms", _fixed("list", "walk_s", 150, 1000),
               False, "ms"),
        Target(f"first page of {sizes['big_list_keys']:,} keys < 20 ms", _fixed("list_big", "first_page_ms", 20),
               False, "ms"),
        Target(f"middle page of {sizes['big_list_keys']:,} keys < 20 ms",
               _fixed("list_big", "middle_page_ms", 20), False, "ms"),
        *(Target(f"{what}: {min(sizes.get('folders', 1000), 1000):,} common prefixes of {sizes['big_list_keys']:,} "
                 f"keys < 50 ms", _fixed("folders_big", metric, 50), False, "ms")
          for what, metric in (("ListObjectsV2", "prefixes_ms"), ("ListObjectVersions", "versions_prefixes_ms"),
                               ("ListMultipartUploads", "uploads_prefixes_ms"))),
        Target(f"RSS < 150 MB through {mp} upload and download", _memory("rss"), False, "MB"),
        Target(f"PSS < 150 MB through {mp} upload and download (shared pages once)", _memory("pss"), False, "MB"),
        Target("cold start < 0.5 s", _fixed("cold", "cold_start_s", 500, 1000), False, "ms"),
    ]


def verdict(v: float | None, limit: float | None, higher_better: bool) -> str:
    if v is None or limit is None:
        return "not measured"
    margin = (v - limit) / limit if higher_better else (limit - v) / limit
    ok = v >= limit if higher_better else v < limit
    return f"{'PASS' if ok else 'MISS'} ({margin:+.0%})"


def section_targets(results: Results, med: Medians) -> list[str]:
    subjects, _ = split(results)
    body = []
    for t in targets(results["sizes"]):
        for subject in subjects:
            v, limit = t.measure(med, results, subject)
            body.append([t.label if len(subjects) == 1 else f"{subject}: {t.label}",
                         f"{fmt(v)} {t.unit}", f"{'≥' if t.higher_better else '<'} {fmt(limit)} {t.unit}",
                         verdict(v, limit, t.higher_better)])
    return ["### Targets (from the issue)", "",
            "Margin: how far past (+) or short of (−) the threshold, as a share of it.", "",
            *table(["target", "s3gate", "needed", "result"], body), ""]


PG = "-pg"  # the name suffix of an s3gate run with its metadata in PostgreSQL (--metadata sqlite,postgres)
SAME_AS_SQLITE = 1.1  # "as fast as on SQLite": within this factor (the rounds' spread is about that)


def metadata_pairs(results: Results) -> list[tuple[str, str]]:
    """(s3gate on SQLite, the same s3gate on PostgreSQL), for each pair run side by side."""
    peers = results["peers"]
    return [(p.removesuffix(PG), p) for p in peers if p.startswith("s3gate") and p.endswith(PG)
            and p.removesuffix(PG) in peers]


def section_metadata(results: Results, med: Medians) -> list[str]:
    """Issue 17: PostgreSQL metadata against SQLite, in the same run."""
    big = f"{results['sizes']['big_list_keys']:,}"
    checks = [  # label, workload, metric, higher is better, (share of SQLite's | None), absolute limit
        *((f"4 KiB {m} c=16 (ops/s)", f"{m.lower()}_c16", "ops_s", True, 0.6, None) for m in ("PUT", "GET")),
        *((f"{big} keys: {where} page (ms)", "list_big", f"{where}_page_ms", False, None, 30.0)
          for where in ("first", "middle")),
        *((f"{big} keys, {what} with Delimiter (ms)", "folders_big", metric, False, SAME_AS_SQLITE, None)
          for what, metric in (("ListObjectsV2", "prefixes_ms"), ("ListObjectVersions", "versions_prefixes_ms"),
                               ("ListMultipartUploads", "uploads_prefixes_ms"))),
    ]
    out: list[str] = []
    for sqlite, pg in metadata_pairs(results):
        body = []
        for label, workload, metric, higher_better, share, limit in checks:
            mine, base = (med.get(workload, {}).get(s, {}).get(metric) for s in (pg, sqlite))
            needed = limit if share is None else (None if base is None else base * share)
            body.append([label, fmt(base), fmt(mine), "—" if not mine or not base else f"{mine / base:.2f}",
                         f"{'≥' if higher_better else '<'} {fmt(needed)}", verdict(mine, needed, higher_better)])
        out += [f"### Metadata in PostgreSQL ({pg}) against SQLite ({sqlite})", "",
                f"Targets of issue 17; \"as fast as on SQLite\" is taken as within {SAME_AS_SQLITE}× of it.", "",
                *table(["metric", "SQLite", "PostgreSQL", "PostgreSQL / SQLite", "needed", "result"], body), ""]
    return out


def section_generator(results: Results, med: Medians) -> list[str]:
    raw = med.get("raw_get_c16", {})
    if not raw:
        return []
    body = []
    for server, m in raw.items():
        wrk = med.get("get_c16", {}).get(server, {}).get("ops_s")
        body.append([server, fmt(wrk), fmt(m["ops_s"]), f"{fmt(m['ops_s'] / wrk)}×" if wrk else "—"])
    nginx = {w: med.get(w, {}).get("nginx", {}).get("ops_s") for w in ("get_c16", "put_c16", "head_c16")}
    lines = ["### Load generator ceiling", "",
             f"Against nginx at c=16: wrk {fmt(nginx['get_c16'])} GET/s and {fmt(nginx['put_c16'])} PUT/s, "
             f"the raw client {fmt(nginx['head_c16'])} HEAD/s. Both generators on the same GET workload:", "",
             *table(["server", "wrk GET c=16", "raw client GET c=16", "raw / wrk"], body), ""]
    return lines


HTTPS_ROWS = [
    *((f"4 KiB {m} c={c} (ops/s)", f"{m.lower()}_c{c}_ops_s", True) for m, c in (("GET", 1), ("PUT", 1),
                                                                                ("GET", 16), ("PUT", 16))),
    ("{single} PUT, raw client (MB/s)", "raw_put_mbs", True), ("{single} GET, raw client (MB/s)", "raw_get_mbs", True),
    ("{single} PUT, boto3 (MB/s)", "boto_put_mbs", True), ("{single} GET, boto3 (MB/s)", "boto_get_mbs", True),
    ("server CPU per {single} PUT, raw client (s)", "raw_put_cpu_s", False),
    ("server CPU per {single} PUT, boto3 (s)", "boto_put_cpu_s", False),
    ("of which the event loop, boto3 (s)", "boto_put_loop_cpu_s", False),
    ("RSS during {single} PUT, boto3 (MB)", "boto_rss_put_mb", False),
]


def section_https(results: Results, med: Medians) -> list[str]:
    """Each s3gate beside the same s3gate over HTTPS, measured back to back in every round."""
    measured = med.get("https", {})
    single = size_label(results["sizes"]["single_bytes"])
    out: list[str] = []
    for plain in split(results)[0]:
        http, https = measured.get(plain), measured.get(f"{plain}-https")
        if not http or not https:
            continue
        body = [[label.format(single=single), fmt(http.get(metric)), fmt(https.get(metric)),
                 f"{fmt(r)}×" if (r := advantage(http.get(metric), https.get(metric), higher_better)) else "—"]
                for label, metric, higher_better in HTTPS_ROWS]
        out += [f"### HTTP against HTTPS ({plain}, `--certfile`; measured back to back)", "",
                "boto3 uploads a signed payload with a CRC32 header over HTTP and an aws-chunked body with a "
                "CRC32 trailer over HTTPS; the raw client sends presigned UNSIGNED-PAYLOAD PUTs either way. "
                "HTTP / HTTPS: how many times the plain server does better.", "",
                *table(["metric", "HTTP", "HTTPS", "HTTP / HTTPS"], body), ""]
    return out


def section_hash(results: Results) -> list[str]:
    if "hash" not in results:
        return []
    body = [[name, fmt(v)] for name, v in results["hash"].items()]
    return [f"### Digest throughput ({size_label(results['sizes']['hash_bytes'])} in 1 MiB updates)", "",
            *table(["algorithm", "MB/s"], body), ""]


def section_profile(results: Results) -> list[str]:
    out: list[str] = []
    for server, report in results.get("profile", {}).items():
        out += [f"### py-spy: {server} at c=16 (GIL-holding samples, by function)", ""]
        for op in ("get", "head", "put"):
            if op not in report:
                continue
            load = report[f"{op}_load"]
            own, incl = report[op]["self"][:10], report[op]["inclusive"][:10]
            body = [[f"{own[i][1]:.1f}%" if i < len(own) else "", f"`{own[i][0]}`" if i < len(own) else "",
                     f"{incl[i][1]:.1f}%" if i < len(incl) else "", f"`{incl[i][0]}`" if i < len(incl) else ""]
                    for i in range(max(len(own), len(incl)))]
            out += [f"**{op.upper()}** ({fmt(load['ops_s'])} ops/s while sampled)", "",
                    *table(["self", "function", "inclusive", "s3gate function"], body), ""]
    return out


def section_notes(results: Results) -> list[str]:
    """What could bias a number: failed runs, requests that errored, PUT pools that ran out."""
    notes = [f"- round {e['round']}, {e['workload']} on {e['server']} failed: `{e['error']}`"
             for e in results["errors"]]
    for method, concurrency in SMALL:
        workload = f"{method.lower()}_c{concurrency}"
        for server, runs in results["samples"].get(workload, {}).items():
            errors = sum(r["errors"] for r in runs)
            if errors:
                notes.append(f"- {method} c={concurrency} on {server}: {errors:,.0f} of "
                             f"{sum(r['requests'] for r in runs):,.0f} requests failed")
            if method == "PUT" and any(r["wraps"] for r in runs):
                notes.append(f"- PUT c={concurrency} on {server} used up its presigned keys and overwrote "
                             "objects for part of the run")
    return ["### Notes", "", *notes, ""] if notes else []


def markdown(results: Results) -> str:
    med = medians(results["samples"])
    m = results["machine"]
    sizes = results["sizes"]
    head = [
        f"## s3gate benchmark, {results['started']}", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}, Python {m['python']}. "
        f"Load average before {results['loadavg_before']}, after {results['loadavg_after']} "
        "(the machine may be shared: other jobs' load shows here).", "",
        f"s3gate {m['s3gate_commit']} with --workers {','.join(map(str, results['s3gate_workers']))}; "
        f"moto {m['versions']['moto']}, s3rver {m['versions']['s3rver']} on node {m['versions']['node']}, "
        f"nginx {m['versions']['nginx']}, wrk {m['versions']['wrk']}. "
        f"Medians of {results['rounds']} interleaved rounds; {sizes['duration_s']:g} s per load run. "
        "MB = 10^6 bytes.", "",
    ]
    return "\n".join(head + section_targets(results, med) + section_metadata(results, med)
                     + section_tables(results, med) + section_https(results, med) + section_generator(results, med)
                     + section_hash(results) + section_profile(results) + section_notes(results))


def chart(results: Results, path: Path) -> None:
    """Horizontal bars of s3gate's advantage over each peer, log scale, one panel per s3gate variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    med = medians(results["samples"])
    subjects, peers = split(results)
    chart_rows = [r for section in rows(results["sizes"]).values() for r in section if r.chart
                  and any(advantage(value(med, r, s), value(med, r, p), True) for s in subjects for p in peers)]
    fig, axes = plt.subplots(1, max(1, len(subjects)), figsize=(9 * max(1, len(subjects)), 0.5 * len(chart_rows) + 2),
                             squeeze=False)
    height = 0.8 / max(1, len(peers))
    for ax, subject in zip(axes[0], subjects, strict=False):
        for i, peer in enumerate(peers):
            ratios = [advantage(value(med, r, subject), value(med, r, peer), r.higher_better) for r in chart_rows]
            points = [(n + i * height, v) for n, v in enumerate(ratios) if v]
            bars = ax.barh([y for y, _ in points], [v for _, v in points], height=height, label=f"vs {peer}")
            ax.bar_label(bars, labels=[f"{fmt(v)}×" for _, v in points], fontsize=6, padding=2)
        ax.set_yticks([n + height * (len(peers) - 1) / 2 for n in range(len(chart_rows))],
                      [r.label for r in chart_rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
        ax.axvline(1, color="black", linewidth=0.8)
        ax.set_xlabel("s3gate advantage (log scale; > 1×: s3gate ahead)")
        ax.set_title(f"{subject} vs peers, {results['started']}")
        if peers:
            ax.legend(loc="lower right", fontsize=8)
        ax.grid(axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: Results, out: Path) -> str:
    (out / "results.json").write_text(json.dumps(results, indent=1))
    text = markdown(results)
    (out / "results.md").write_text(text + "\n")
    chart(results, out / "chart.png")
    return text
