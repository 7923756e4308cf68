#!/usr/bin/env python3
"""bench/pkgstats.py -- the arithmetic of bench/pkgmirror.

    pkgstats.py origin < NGINX_LOG_SLICE
        the origin's side of one phase, from nginx's access log (format
        "msec method uri status body_bytes ..."): prints
        "REQUESTS BYTES FILES MULTI MAXF": requests and body bytes served,
        distinct URLs answered 200, how many of them were answered 200
        more than once, and the most 200 answers one URL got.
    pkgstats.py fetches < NGINX_LOG_SLICE
        "URL COUNT BYTES" for every URL answered 200: how many times,
        and the largest body sent.
    pkgstats.py codes squid|acng < PROXY_LOG_SLICE
        the proxy's own account of one phase: squid's native format
        (sluice and squid) gives "CODE/STATUS:COUNT" for each result code;
        apt-cacher-ng's transfer log gives "O:N" (answers to clients),
        "I:N" (fetches from the origin) and "E:N" (errors).
    pkgstats.py asks LAYOUT < NGINX_LOG_SLICE
    pkgstats.py asks-table ASKS
        the request Cache-Control and Pragma the clients send (seen by
        the origin from the clients without a proxy), by kind of file.
    pkgstats.py aptbytes FILE...
        body bytes apt's http method received, from the
        Debug::pkgAcquire::Worker output of one or more apt-get runs:
        the Size of every "201 URI Done" of the http method that is not an
        IMS hit.
    pkgstats.py table RECORDS
        the markdown tables of bench/pkgmirror from its records file (one
        phase of one run a line, tab-separated; see pkgmirror).
    pkgstats.py ratios RECORDS
        same-run wall-time ratios, sluice / apt-cacher-ng and / squid.
    pkgstats.py targets RECORDS CLIENTS
        issue 12's targets for sluice, each met or not.
    pkgstats.py codes-table RECORDS
        each proxy's result codes per layout and phase.
    pkgstats.py multi MULTI RUNS
        origin fetches per file with many clients at once ("RUN PROXY
        LAYOUT: URL COUNT BYTES" lines), by kind and size of file.
"""

import collections
import os
import re
import statistics
import sys
import urllib.parse


def origin(lines):
    reqs = nbytes = 0
    fetched = collections.Counter()
    for line in lines:
        f = line.split()
        if len(f) < 5:
            continue
        reqs += 1
        nbytes += int(f[4])
        if f[1] == "GET" and f[3] == "200":
            fetched[f[2]] += 1
    multi = sum(1 for n in fetched.values() if n > 1)
    maxf = max(fetched.values()) if fetched else 0
    print(reqs, nbytes, len(fetched), multi, maxf)


def fetches(lines):
    fetched = collections.Counter()
    size = {}
    for line in lines:
        f = line.split()
        if len(f) >= 5 and f[1] == "GET" and f[3] == "200":
            fetched[f[2]] += 1
            size[f[2]] = max(size.get(f[2], 0), int(f[4]))
    for url, n in sorted(fetched.items()):
        print(url, n, size[url])


def codes(kind, lines):
    c = collections.Counter()
    for line in lines:
        if kind == "acng":
            f = line.split("|")
            if len(f) >= 3:
                c[f[1]] += 1
        else:
            f = line.split()
            if len(f) >= 4:
                c[f[3]] += 1
    print(",".join("%s:%d" % kv for kv in
                   sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
          or "-")


def aptbytes(files):
    total = 0
    for fn in files:
        with open(fn, errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("<- http:201%20URI%20Done"):
                    continue
                fields = {}
                for part in line.split("%0a")[1:]:
                    k, _, v = urllib.parse.unquote(part).partition(": ")
                    fields[k] = v
                if fields.get("IMS-Hit", "").lower() == "true":
                    continue
                total += int(fields.get("Size", "0"))
    print(total)


# ---------------------------------------------------------------- tables
# Record fields, in order (pkgmirror writes them).
FIELDS = ("run proxy layout phase clients ok wall client_bytes origin_bytes "
          "origin_reqs files multi maxf codes").split()
PROXIES = ("direct", "sluice", "squid", "acng")
LAYOUTS = ("apt update", "apt install", "pip download", "npm install")
NAMES = {"direct": "direct (no proxy)",
         "sluice": os.environ.get("PKG_SLUICE_LABEL",
                                  "sluice (shipped config)"),
         "squid": "squid (tuned)", "acng": "apt-cacher-ng (defaults)"}


def mmm(vals, fmt):
    """median (min-max) of vals, formatted with fmt."""
    if not vals:
        return "n/a"
    m = statistics.median(vals)
    if len(vals) == 1 or min(vals) == max(vals):
        return fmt % m
    return "%s (%s-%s)" % (fmt % m, fmt % min(vals), fmt % max(vals))


def hit(r):
    """bytes from the cache / bytes to the clients: what the clients got
    that the origin did not send in the same phase."""
    cb, ob = r["client_bytes"], r["origin_bytes"]
    if cb <= 0:
        return None
    return max(0.0, (cb - ob) / cb * 100)


def records(path):
    recs = []
    with open(path) as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if len(v) != len(FIELDS):
                continue
            r = dict(zip(FIELDS, v))
            for k in ("run", "clients", "ok", "client_bytes", "origin_bytes",
                      "origin_reqs", "files", "multi", "maxf"):
                r[k] = int(r[k])
            r["wall"] = float(r["wall"])
            recs.append(r)
    return recs


def table(path):
    recs = records(path)
    groups = collections.OrderedDict()
    for r in recs:
        groups.setdefault((r["layout"], r["proxy"], r["phase"]), []).append(r)
    out = []
    for layout in LAYOUTS:
        keys = [k for k in groups if k[0] == layout]
        if not keys:
            continue
        # kB for the small layouts (apt update), MB for the others
        big = max(r["client_bytes"] for k in keys for r in groups[k])
        unit, div = ("MB", 1e6) if big >= 10e6 else ("kB", 1e3)
        out.append("### %s\n" % layout)
        out.append("| proxy | phase | runs ok | wall s | origin %s | "
                   "to clients %s | hit ratio %% | origin requests | "
                   "files fetched >1 time (max fetches) |" % (unit, unit))
        out.append("|---|---|---|---|---|---|---|---|---|")
        for proxy in PROXIES:
            for k in keys:
                if k[1] != proxy:
                    continue
                rs = groups[k]
                good = [r for r in rs if r["ok"] == r["clients"]]
                bad = len(rs) - len(good)
                ok = "%d/%d" % (len(good), len(rs))
                if not good:
                    out.append("| %s | %s | %s | failed | | | | | |"
                               % (NAMES[proxy], k[2], ok))
                    continue
                hits = [h for h in map(hit, good) if h is not None]
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    NAMES[proxy], k[2], ok,
                    mmm([r["wall"] for r in good], "%.2f"),
                    mmm([r["origin_bytes"] / div for r in good], "%.1f"),
                    mmm([r["client_bytes"] / div for r in good], "%.1f"),
                    mmm(hits, "%.1f"),
                    mmm([r["origin_reqs"] for r in good], "%d"),
                    "%s of %s (%s)" % (
                        mmm([r["multi"] for r in good], "%d"),
                        mmm([r["files"] for r in good], "%d"),
                        mmm([r["maxf"] for r in good], "%d"))))
                if bad:
                    out[-1] += " %d run(s) failed |" % bad
        out.append("")
    print("\n".join(out))


def ratios(path):
    """same-run ratios of wall times: sluice / acng and sluice / squid,
    per layout and phase, median (min-max) over the runs."""
    wall = {}
    for r in records(path):
        if r["ok"] == r["clients"]:
            wall[(r["run"], r["proxy"], r["layout"], r["phase"])] = r["wall"]
    seen = collections.OrderedDict()
    for (run, proxy, layout, phase) in wall:
        seen.setdefault((layout, phase), set()).add(run)
    rows = []
    for (layout, phase), runs in seen.items():
        cells = [mmm(same_run(wall, runs, layout, phase, other), "%.2f")
                 for other in ("acng", "squid")]
        if cells != ["n/a", "n/a"]:
            rows.append("| %s | %s | %s | %s |" % (layout, phase, *cells))
    if rows:
        print("| layout | phase | sluice / apt-cacher-ng | sluice / squid |")
        print("|---|---|---|---|")
        print("\n".join(rows))


def same_run(wall, runs, layout, phase, other):
    """sluice's wall time over other's, run by run."""
    return [wall[(run, "sluice", layout, phase)] /
            wall[(run, other, layout, phase)]
            for run in sorted(runs)
            if (run, "sluice", layout, phase) in wall and
            (run, other, layout, phase) in wall and
            wall[(run, other, layout, phase)] > 0]


def targets(path, conc):
    """issue 12's targets for sluice, each met or missed."""
    recs = [r for r in records(path) if r["proxy"] == "sluice"]
    out = ["| target | measured (median, min-max) | met |", "|---|---|---|"]

    def sel(layout, phase):
        return [r for r in recs if r["layout"] == layout and
                r["phase"] == phase]

    if not recs:
        print("No sluice runs.")
        return
    for layout in ("apt update", "apt install"):
        rs = sel(layout, "warm")
        if not rs:
            continue
        good = [r for r in rs if r["ok"] == r["clients"]]
        hits = [h for h in map(hit, good) if h is not None]
        met = bool(hits) and len(good) == len(rs) and min(hits) >= 99.0
        out.append("| warm `%s` >= 99%% of bytes from the cache | %s%% "
                   "(%d/%d runs ok) | %s |" % (
                       layout, mmm(hits, "%.1f"), len(good), len(rs),
                       "yes" if met else "**no**"))
    for layout in ("apt update", "apt install"):
        rs = sel(layout, "cold x%s" % conc)
        if not rs:
            continue
        good = [r for r in rs if r["ok"] == r["clients"]]
        met = bool(good) and len(good) == len(rs) and all(
            r["multi"] == 0 for r in good)
        out.append("| %s clients at once, cold `%s`: one origin fetch per "
                   "file | %s of %s files fetched more than once, at most "
                   "%s times | %s |" % (
                       conc, layout, mmm([r["multi"] for r in good], "%d"),
                       mmm([r["files"] for r in good], "%d"),
                       mmm([r["maxf"] for r in good], "%d"),
                       "yes" if met else "**no**"))
    wall = {}
    for r in records(path):
        if r["ok"] == r["clients"]:
            wall[(r["run"], r["proxy"], r["layout"], r["phase"])] = r["wall"]
    runs = {k[0] for k in wall}
    for layout in ("apt update", "apt install"):
        if not sel(layout, "warm"):
            continue
        v = same_run(wall, runs, layout, "warm", "acng")
        met = bool(v) and statistics.median(v) <= 1.0
        out.append("| warm `%s` wall time no worse than apt-cacher-ng's | "
                   "sluice / apt-cacher-ng %s | %s |" % (
                       layout, mmm(v, "%.2f"),
                       "yes" if met else ("n/a" if not v else "**no**")))
    print("\n".join(out))


def codes_table(path):
    """result codes per proxy, layout and phase, summed over the runs."""
    sums = collections.OrderedDict()
    nruns = collections.Counter()
    for r in records(path):
        if r["proxy"] == "direct" or r["codes"] == "-":
            continue
        key = (r["proxy"], r["layout"], r["phase"])
        c = sums.setdefault(key, collections.Counter())
        nruns[key] += 1
        for item in r["codes"].split(","):
            code, _, n = item.rpartition(":")
            c[code] += int(n)
    print("| proxy | layout | phase | runs | result codes |")
    print("|---|---|---|---|---|")
    for proxy in PROXIES:
        for key, c in sums.items():
            if key[0] != proxy:
                continue
            print("| %s | %s | %s | %d | %s |" % (
                NAMES[proxy], key[1], key[2], nruns[key], ", ".join(
                    "%s x%d" % kv for kv in sorted(
                        c.items(), key=lambda kv: (-kv[1], kv[0])))))


def kind(url):
    if url.endswith("/InRelease") or url.endswith("/Release") or \
            url.endswith("/Release.gpg"):
        return "InRelease/Release"
    if "/by-hash/" in url:
        return "by-hash index"
    if url.endswith(".deb"):
        return ".deb"
    if "/simple/" in url:
        return "PyPI project page"
    if url.endswith(".whl"):
        return "wheel"
    if "/-/" in url:
        return "npm tarball"
    if url.startswith("/npm/"):
        return "npm packument"
    return "other"


LOGLINE = re.compile(r'^(\S+) (\S+) (\S+) (\d+) (\d+) "([^"]*)" "([^"]*)" '
                     r'"([^"]*)"')


def asks(layout, lines):
    """what the clients themselves send: the request Cache-Control and
    Pragma the origin saw from a client with no proxy, by kind of file."""
    for line in lines:
        m = LOGLINE.match(line)
        if m:
            print("%s\t%s\t%s\t%s" % (layout, kind(m.group(3)),
                                       m.group(7), m.group(8)))


def asks_table(path):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if len(v) == 4:
                c[tuple(v)] += 1
    print("| client command | kind of file | request Cache-Control | "
          "request Pragma | requests |")
    print("|---|---|---|---|---|")
    for (layout, k, cc, pragma), n in sorted(c.items()):
        print("| %s | %s | %s | %s | %d |" % (layout, k, cc, pragma, n))


KINDS = ("InRelease/Release", "by-hash index", ".deb < 1 MB",
         ".deb 1-16 MB", ".deb >= 16 MB")


def band_of(k, nbytes):
    """.deb files by size: small ones are over before another client
    asks, large ones are asked for while they are still arriving."""
    if k != ".deb":
        return k
    if nbytes < 1e6:
        return ".deb < 1 MB"
    if nbytes < 16e6:
        return ".deb 1-16 MB"
    return ".deb >= 16 MB"


def multi(path, nruns):
    """origin fetches per file with many clients at once ("RUN PROXY
    LAYOUT: URL COUNT BYTES" lines, every URL answered 200): per proxy,
    layout and kind of file, the files, how many were sent more than
    once, the fetches per file and the most fetches of one file."""
    per = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            head, _, rest = line.rstrip("\n").partition(": ")
            run, proxy, layout = head.split(" ", 2)
            url, n, nbytes = rest.rsplit(" ", 2)
            k = band_of(kind(url), int(nbytes))
            d = per.setdefault((proxy, layout, k), {})
            d.setdefault(run, []).append(int(n))
    if not per:
        print("No phase with many clients.")
        return
    print("| proxy | layout | kind of file | files | sent more than once | "
          "fetches per file | most fetches of one file |")
    print("|---|---|---|---|---|---|---|")
    for proxy in PROXIES:
        for (p, layout, k), d in sorted(per.items(), key=lambda kv: (
                LAYOUTS.index(kv[0][1]) if kv[0][1] in LAYOUTS else 9,
                KINDS.index(kv[0][2]) if kv[0][2] in KINDS else 99)):
            if p != proxy:
                continue
            runs = [d[r] for r in sorted(d)]
            print("| %s | %s | %s | %s | %s | %s | %s |" % (
                NAMES[proxy], layout, k,
                mmm([len(v) for v in runs], "%d"),
                mmm([sum(1 for n in v if n > 1) for v in runs], "%d"),
                mmm([sum(v) / len(v) for v in runs], "%.2f"),
                mmm([max(v) for v in runs], "%d")))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "origin":
        origin(sys.stdin)
    elif cmd == "fetches":
        fetches(sys.stdin)
    elif cmd == "codes" and len(sys.argv) == 3:
        codes(sys.argv[2], sys.stdin)
    elif cmd == "asks" and len(sys.argv) == 3:
        asks(sys.argv[2], sys.stdin)
    elif cmd == "asks-table" and len(sys.argv) == 3:
        asks_table(sys.argv[2])
    elif cmd == "aptbytes":
        aptbytes(sys.argv[2:])
    elif cmd == "table" and len(sys.argv) == 3:
        table(sys.argv[2])
    elif cmd == "ratios" and len(sys.argv) == 3:
        ratios(sys.argv[2])
    elif cmd == "targets" and len(sys.argv) == 4:
        targets(sys.argv[2], sys.argv[3])
    elif cmd == "codes-table" and len(sys.argv) == 3:
        codes_table(sys.argv[2])
    elif cmd == "multi" and len(sys.argv) == 4:
        multi(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
