#!/usr/bin/env python3
"""bench/pkgrepo.py -- the synthetic package repositories of bench/pkgmirror.

    pkgrepo.py WWW ORIGIN_URL SCALE KEYDIR

writes three layouts under WWW, all from generated random payloads:

  debian/  a Debian-style archive, suite "bench", component "main":
           pool/main/b/NAME/NAME_1.0-1_all.deb, real .deb archives built
           with `dpkg-deb --build` (gzip -1 below 1 MB, uncompressed
           above: the payload is random); dists/bench/main/binary-ARCH/
           Packages, Packages.gz, Packages.xz (listing BENCH_PKG_INDEX
           x SCALE packages, 60000 by default: the pool's and entries
           with no file, so that the indexes weigh what a real archive's
           do) and by-hash/SHA256/<hash> hard links to each;
           dists/bench/Release ("Acquire-By-Hash: yes"; padded with
           entries for other components to about 150 kB x SCALE, the size
           of Debian 12's), InRelease and Release.gpg signed with a key
           made for the run (public key in KEYDIR/archive.gpg).
  pypi/    a PyPI-style simple index: simple/index.html, simple/NAME/
           (index.html, links with #sha256= to ../../packages/...) and
           packages/xx/yy/rest-of-hash/NAME-1.0-py3-none-any.whl, real
           wheels (dist-info METADATA, WHEEL, RECORD).
  npm/     an npm-style static registry: npm-meta/NAME.json (the
           packument nginx serves as /npm/NAME) and npm/NAME/-/NAME-1.0.0.tgz
           (package/package.json and a payload, sha1 shasum and sha512
           integrity in the packument; tarball URLs point at ORIGIN_URL).

Sizes: 300 .deb files, 260 from 10 KB to 1 MB, 32 from 1 MB to 16 MB,
6 from 16 MB to 64 MB, one of 100 MB and one of 200 MB (about 740 MB),
spaced geometrically inside each band; 24 wheels from 10 KB to 20 MB and
24 npm tarballs from 2 KB to 5 MB.  Each size is multiplied by SCALE
(BENCH_PKG_SCALE: 1 is the issue's sizes, 0.01 a few MB), never below
1 KiB.  Prints a summary: "debian N BYTES", "pypi N BYTES", "npm N BYTES"
and the names list files (WWW/debian.names ...) used by the clients.
"""

import base64
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

KB = 1000
MB = 1000 * 1000


def band(n, lo, hi):
    """n sizes spaced geometrically from lo to hi (both included)."""
    if n == 1:
        return [lo]
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def deb_sizes():
    return (band(260, 10 * KB, 1 * MB) + band(32, 1.1 * MB, 16 * MB) +
            band(6, 17 * MB, 64 * MB) + [100 * MB, 200 * MB])


def scaled(sizes, scale):
    return [max(1024, int(s * scale)) for s in sizes]


def write_random(path, size):
    """size random bytes into path, 1 MiB at a time."""
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


def file_hashes(path):
    md5, sha1, sha256, sha512 = (hashlib.md5(), hashlib.sha1(),
                                 hashlib.sha256(), hashlib.sha512())
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            for h in (md5, sha1, sha256, sha512):
                h.update(b)
    return md5, sha1, sha256, sha512


def sign(dists, keydir):
    """InRelease (clearsigned) and Release.gpg with a key made here, its
    public half in KEYDIR/archive.gpg for apt's signed-by: apt then reads
    InRelease alone, as from a real mirror.  Without gpg, an unsigned
    InRelease: apt ([trusted=yes]) then falls back to Release and asks
    for Release.gpg (a 404) too."""
    rel = os.path.join(dists, "Release")
    if shutil.which("gpg") is None:
        shutil.copyfile(rel, os.path.join(dists, "InRelease"))
        return
    home = os.path.join(keydir, "gnupg")
    os.makedirs(home, mode=0o700)
    env = dict(os.environ, GNUPGHOME=home)
    gpg = ["gpg", "--batch", "--quiet", "--yes", "--passphrase", ""]
    try:
        subprocess.run(gpg + ["--quick-gen-key", "sluice bench archive "
                              "<bench@localhost>", "ed25519", "sign",
                              "never"], check=True, env=env)
        subprocess.run(gpg + ["--clearsign", "-o",
                              os.path.join(dists, "InRelease"), rel],
                       check=True, env=env)
        subprocess.run(gpg + ["-abs", "-o", rel + ".gpg", rel], check=True,
                       env=env)
        subprocess.run(gpg + ["--export", "-o",
                              os.path.join(keydir, "archive.gpg")],
                       check=True, env=env)
    finally:
        # the agent gpg started for this home, and only it
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(home)


def index_only(n):
    """n Packages stanzas for packages that are not in the pool, so that
    the indexes weigh what a real archive's do (Debian 12 main amd64
    lists about 63,000 packages: Packages.xz is some 9 MB next to an
    InRelease of 150 KB).  Nothing ever downloads them."""
    out = []
    for i in range(max(0, n)):
        name = "bench-index-%05d" % i
        size = 10000 + (i * 7919) % 2000000
        out.append(
            "Package: %s\nVersion: 1.0-1\nArchitecture: all\n"
            "Maintainer: sluice bench <bench@localhost>\n"
            "Installed-Size: %d\nSection: misc\nPriority: optional\n"
            "Description: index entry %d of bench/pkgmirror\n"
            " Listed so that the index is the size of a real one.\n"
            "Filename: pool/main/b/%s/%s_1.0-1_all.deb\nSize: %d\n"
            "MD5sum: %s\nSHA256: %s\n" % (
                name, size // 1024 + 1, i, name, name, size,
                os.urandom(16).hex(), os.urandom(32).hex()))
    return out


def release_padding(target):
    """Release entries for files of other components, so that InRelease
    is about target bytes (Debian 12's is 151 kB).  apt asks for none of
    them: the sources.list names component main only."""
    out = []
    length = 0
    langs = ["%s%s" % (a, b) for a in "abcdefghijklmnopqrstuvwxyz"
             for b in "aeiou"]
    paths = []
    for comp in ("contrib", "non-free", "non-free-firmware"):
        for a in ("all", "amd64", "arm64", "armel", "armhf", "i386",
                  "mips64el", "mipsel", "ppc64el", "s390x"):
            for d in ("binary-", "debian-installer/binary-"):
                paths += ["%s/%s%s/Packages%s" % (comp, d, a, x)
                          for x in ("", ".gz", ".xz")]
            paths.append("%s/Contents-%s.gz" % (comp, a))
            paths += ["%s/dep11/Components-%s.yml%s" % (comp, a, x)
                      for x in (".gz", ".xz")]
            paths += ["%s/cnf/Commands-%s%s" % (comp, a, x)
                      for x in ("", ".xz")]
        paths += ["%s/source/Sources%s" % (comp, x)
                  for x in ("", ".gz", ".xz")]
        paths += ["%s/i18n/Translation-%s.bz2" % (comp, lang)
                  for lang in langs]
    for path in paths:
        if length >= target:
            break
        size = 1000 + len(path) * 7919 % 900000
        out.append((os.urandom(16).hex(), os.urandom(32).hex(), size, path))
        length += 2 * (len(path) + 20) + 32 + 64
    return out


def debian(www, scale, arch, keydir, index):
    top = os.path.join(www, "debian")
    build = tempfile.mkdtemp(dir=www, prefix="debbuild.")
    stanzas = []
    names = []
    total = 0
    for i, size in enumerate(scaled(deb_sizes(), scale)):
        name = "bench-pkg-%03d" % i
        names.append(name)
        root = os.path.join(build, name)
        os.makedirs(os.path.join(root, "DEBIAN"))
        os.makedirs(os.path.join(root, "usr/share/bench-pkg"))
        payload = os.path.join(root, "usr/share/bench-pkg", name + ".bin")
        # dpkg-deb adds about 700 bytes of headers and control data
        write_random(payload, max(1, size - 700))
        with open(os.path.join(root, "DEBIAN/control"), "w") as f:
            f.write("Package: %s\nVersion: 1.0-1\nArchitecture: all\n"
                    "Maintainer: sluice bench <bench@localhost>\n"
                    "Installed-Size: %d\nSection: misc\nPriority: optional\n"
                    "Description: synthetic package %d for bench/pkgmirror\n"
                    " Random payload of %d bytes.\n"
                    % (name, (size + 1023) // 1024, i, size))
        rel = "pool/main/b/%s/%s_1.0-1_all.deb" % (name, name)
        out = os.path.join(top, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        # gzip -1 below 1 MB (an uncompressed data.tar is padded to
        # 10 KB); none above: the payload is random, compressing it
        # would only cost time
        comp = ["-Zgzip", "-z1"] if size < 1 * MB else ["-Znone"]
        subprocess.run(["dpkg-deb", "--root-owner-group"] + comp +
                       ["--build", root, out], check=True,
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(root)
        md5, _, sha256, _ = file_hashes(out)
        st = os.stat(out).st_size
        total += st
        ctl = subprocess.run(["dpkg-deb", "-f", out], check=True,
                             capture_output=True, text=True).stdout
        stanzas.append(ctl.rstrip("\n") +
                       "\nFilename: %s\nSize: %d\nMD5sum: %s\nSHA256: %s\n"
                       % (rel, st, md5.hexdigest(), sha256.hexdigest()))
    shutil.rmtree(build)

    comp = "main/binary-%s" % arch
    idx = os.path.join(top, "dists/bench", comp)
    os.makedirs(os.path.join(idx, "by-hash/SHA256"))
    stanzas += index_only(index - len(stanzas))
    text = "\n".join(stanzas).encode()
    files = {
        "Packages": text,
        "Packages.gz": gzip.compress(text, 9, mtime=0),
        "Packages.xz": lzma.compress(text),
    }
    rel_lines = []
    for fn, data in files.items():
        p = os.path.join(idx, fn)
        with open(p, "wb") as f:
            f.write(data)
        h = hashlib.sha256(data).hexdigest()
        os.link(p, os.path.join(idx, "by-hash/SHA256", h))
        rel_lines.append((hashlib.md5(data).hexdigest(), h, len(data),
                          comp + "/" + fn))
    rel_lines += release_padding(int(150000 * index / 60000))
    release = ("Origin: sluice-bench\nLabel: sluice-bench\nSuite: bench\n"
               "Codename: bench\nDate: %s\nArchitectures: %s\n"
               "Components: main\nDescription: bench/pkgmirror archive\n"
               "Acquire-By-Hash: yes\nMD5Sum:\n%sSHA256:\n%s" % (
                   time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()),
                   arch,
                   "".join(" %s %16d %s\n" % (m, n, f)
                           for m, _, n, f in rel_lines),
                   "".join(" %s %16d %s\n" % (s, n, f)
                           for _, s, n, f in rel_lines)))
    dists = os.path.join(top, "dists/bench")
    with open(os.path.join(dists, "Release"), "w") as f:
        f.write(release)
    sign(dists, keydir)
    with open(os.path.join(www, "debian.names"), "w") as f:
        f.write("\n".join(names) + "\n")
    return len(names), total


def pypi(www, scale):
    top = os.path.join(www, "pypi")
    names = []
    total = 0
    links = []
    for i, size in enumerate(scaled(band(24, 10 * KB, 20 * MB), scale)):
        name = "benchpkg-%03d" % i
        mod = name.replace("-", "_")
        names.append(name)
        dist = "%s-1.0.dist-info" % mod
        members = {
            "%s/__init__.py" % mod: b"",
            "%s/payload.bin" % mod: os.urandom(size),
            dist + "/METADATA": ("Metadata-Version: 2.1\nName: %s\n"
                                 "Version: 1.0\nSummary: bench/pkgmirror "
                                 "wheel\n" % name).encode(),
            dist + "/WHEEL": (b"Wheel-Version: 1.0\nGenerator: sluice-bench"
                              b"\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n"),
        }
        record = []
        for path, data in members.items():
            d = base64.urlsafe_b64encode(
                hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, d, len(data)))
        record.append(dist + "/RECORD,,")
        members[dist + "/RECORD"] = ("\n".join(record) + "\n").encode()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for path, data in members.items():
                z.writestr(path, data)
        whl = buf.getvalue()
        h = hashlib.sha256(whl).hexdigest()
        fn = "%s-1.0-py3-none-any.whl" % mod
        rel = "packages/%s/%s/%s/%s" % (h[:2], h[2:4], h[4:], fn)
        os.makedirs(os.path.join(top, os.path.dirname(rel)))
        with open(os.path.join(top, rel), "wb") as f:
            f.write(whl)
        total += len(whl)
        d = os.path.join(top, "simple", name)
        os.makedirs(d)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!DOCTYPE html>\n<html><head><meta name=\"pypi:"
                    "repository-version\" content=\"1.0\"><title>Links for "
                    "%s</title></head><body><h1>Links for %s</h1>\n"
                    "<a href=\"../../%s#sha256=%s\">%s</a><br/>\n"
                    "</body></html>\n" % (name, name, rel, h, fn))
        links.append("<a href=\"%s/\">%s</a><br/>" % (name, name))
    with open(os.path.join(top, "simple/index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n%s\n</body></html>\n"
                % "\n".join(links))
    with open(os.path.join(www, "pypi.names"), "w") as f:
        f.write("\n".join(names) + "\n")
    return len(names), total


def npm(www, origin, scale):
    meta = os.path.join(www, "npm-meta")
    os.makedirs(meta)
    names = []
    total = 0
    for i, size in enumerate(scaled(band(24, 2 * KB, 5 * MB), scale)):
        name = "bench-npm-%03d" % i
        names.append(name)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as t:
            pj = json.dumps({"name": name, "version": "1.0.0",
                             "description": "bench/pkgmirror package",
                             "license": "MIT"}).encode()
            for path, data in (("package/package.json", pj),
                               ("package/payload.bin", os.urandom(size))):
                ti = tarfile.TarInfo(path)
                ti.size = len(data)
                ti.mode = 0o644
                ti.mtime = 499162500
                t.addfile(ti, io.BytesIO(data))
        tgz = buf.getvalue()
        rel = "npm/%s/-/%s-1.0.0.tgz" % (name, name)
        os.makedirs(os.path.join(www, os.path.dirname(rel)))
        with open(os.path.join(www, rel), "wb") as f:
            f.write(tgz)
        total += len(tgz)
        doc = {
            "name": name,
            "dist-tags": {"latest": "1.0.0"},
            "versions": {"1.0.0": {
                "name": name, "version": "1.0.0",
                "dist": {
                    "tarball": "%s/%s" % (origin, rel),
                    "shasum": hashlib.sha1(tgz).hexdigest(),
                    "integrity": "sha512-" + base64.b64encode(
                        hashlib.sha512(tgz).digest()).decode(),
                },
            }},
        }
        with open(os.path.join(meta, name + ".json"), "w") as f:
            json.dump(doc, f)
    with open(os.path.join(www, "npm.names"), "w") as f:
        f.write("\n".join(names) + "\n")
    return len(names), total


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: pkgrepo.py WWW ORIGIN_URL SCALE KEYDIR")
    www, origin, scale, keydir = (sys.argv[1], sys.argv[2].rstrip("/"),
                                  float(sys.argv[3]), sys.argv[4])
    if scale <= 0:
        sys.exit("pkgrepo.py: SCALE must be above 0")
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True,
                          capture_output=True, text=True).stdout.strip()
    os.makedirs(www, exist_ok=True)
    # BENCH_PKG_INDEX: packages the index lists (the pool's 300 among
    # them), times SCALE
    index = int(int(os.environ.get("BENCH_PKG_INDEX", "60000")) * scale)
    print("debian %d %d" % debian(www, scale, arch, keydir, index))
    print("pypi %d %d" % pypi(www, scale))
    print("npm %d %d" % npm(www, origin, scale))


if __name__ == "__main__":
    main()
