#!/usr/bin/env python3
"""Extracts the man-pages corpus (corpus/manpages/<lang>) from Debian's manpages packages.

Called by build.sh (`build.sh manpages`), which downloads the .deb files with `apt-get download` (no root) and
unpacks them with `dpkg-deb -x`. Usage:

    build_manpages.py --debs DIR --out CORPUS_DIR

DIR holds one unpacked tree per package (DIR/<package>/usr/share/man/...). Every manual page (not symlinks,
not pages that are only a `.so` alias) is rendered to plain UTF-8 text with groff's man macros
(`groff -k -Kutf8 -man -Tutf8 -P-c -P-b -P-u -rcR=1 -rHY=0`: no overstriking, no page breaks, no
hyphenation), the running header and footer
lines are dropped, and the text is cleaned like the other embedded domains (build_corpus.clean). Output: mC4-style
JSON lines, `CORPUS_DIR/manpages/<lang>/part-NNNN.jsonl.gz`, sharded at about 1.5 MB of JSON per file,
gzip with mtime 0, inputs in sorted order, so two runs give byte-identical files. Prints one line per domain.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_corpus import Domain, iso, write_jsonl  # noqa: E402

# domain name, packages, directory under usr/share/man holding man1..man8. English is the Linux man-pages
# project's original (manpages: sections 1, 4-8; manpages-dev: the system calls and library functions of 2 and 3);
# the other languages are manpages-l10n's translations, of these pages and of other programs' pages.
PACKAGES = [
    ("en", ["manpages", "manpages-dev"], ""),
    ("de", ["manpages-de"], "de"),
    ("fr", ["manpages-fr"], "fr"),
    ("es", ["manpages-es"], "es"),
    ("pl", ["manpages-pl"], "pl"),
    ("ru", ["manpages-ru"], "ru"),
]
DEBS = [p for _, pkgs, _ in PACKAGES for p in pkgs]

ALIAS = re.compile(rb"^(?:\s*(?:\.\\\".*|'\\\".*)?\n)*\s*\.so\s+\S+\s*$")


def changelog_date(root, pkg):
    import email.utils
    for name in ("changelog.Debian.gz", "changelog.gz"):
        f = root / "usr/share/doc" / pkg / name
        if f.exists():
            with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    m = re.match(r"^ -- .*?>  (.*)$", line)
                    if m:
                        return iso(email.utils.parsedate_to_datetime(m.group(1)))
    raise SystemExit(f"no changelog date for {pkg} under {root}")


def render(path):
    """Plain text of one page, without the running header (first line) and footer (last line)."""
    src = gzip.decompress(path.read_bytes())
    if ALIAS.match(src):
        return None
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    r = subprocess.run(["groff", "-k", "-Kutf8", "-man", "-Tutf8", "-P-c", "-P-b", "-P-u", "-rcR=1", "-rLL=78n",
                        "-rHY=0"],
                       input=src, capture_output=True, env=env, cwd=path.parent.parent)
    text = r.stdout.decode("utf-8", errors="replace")
    lines = [ln for ln in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines[1:-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--debs", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for name, pkgs, sub in PACKAGES:
        dom = Domain(name)
        aliases = total = 0
        for pkg in pkgs:
            root = args.debs / pkg
            mandir = root / "usr/share/man" / sub
            pages = sorted(p for p in mandir.glob("man[1-8]/*.gz") if p.is_file() and not p.is_symlink())
            total += len(pages)
            # manpages-dev's doc directory is a link to manpages's, absent from the unpacked tree: take the first package's
            stamp = changelog_date(args.debs / pkgs[0], pkgs[0])
            with ThreadPoolExecutor(args.jobs) as pool:
                texts = list(pool.map(render, pages))
            for p, text in zip(pages, texts):
                if text is None:
                    aliases += 1
                    continue
                rel = p.relative_to(root)
                dom.add(text, f"file:///{rel}", stamp, key=str(rel))
        pkg = " + ".join(pkgs)
        stats = write_jsonl(dom, args.out / "manpages" / name)
        print(f"manpages/{name}: {stats['docs']} docs, {stats['raw']} raw bytes, {stats['gz']} compressed bytes in "
              f"{stats['files']} files (of {total} pages; dropped: {aliases} .so aliases, {dom.dropped_short} short, "
              f"{dom.dropped_dup} duplicate, {dom.dropped_host} naming a registry host) [{pkg}]")


if __name__ == "__main__":
    main()
