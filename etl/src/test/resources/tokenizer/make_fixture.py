#!/usr/bin/env python3
"""Rebuilds multilingual.jsonl.gz: real English, German and Hindi text from Debian packages on this machine.

en: the copyright files of /usr/share/doc/*/copyright (licence prose, several packages);
de, hi: the translated messages (msgstr) of the gettext catalogues in /usr/share/locale/{de,hi}/LC_MESSAGES.
Each output line is {"lang", "source", "text"}; a document is up to 40 consecutive messages (or 120 lines
of a copyright file) joined by newlines. Run: python3 make_fixture.py | gzip -n -9 > multilingual.jsonl.gz
"""
import glob, gettext, json, os, sys

def catalogue_docs(lang, names, per_doc=40):
    for name in names:
        path = f"/usr/share/locale/{lang}/LC_MESSAGES/{name}.mo"
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            cat = gettext.GNUTranslations(f)._catalog
        msgs = []
        for key in sorted(cat, key=str):
            val = cat[key]
            if not key or not isinstance(val, str) or not val.strip():
                continue
            msgs.append(val)
        for i in range(0, len(msgs), per_doc):
            yield {"lang": lang, "source": f"{name}.mo", "text": "\n".join(msgs[i:i + per_doc])}

def copyright_docs(packages, per_doc=120):
    for pkg in packages:
        path = f"/usr/share/doc/{pkg}/copyright"
        if not os.path.exists(path):
            continue
        lines = open(path, encoding="utf-8", errors="strict").read().split("\n")
        for i in range(0, len(lines), per_doc):
            yield {"lang": "en", "source": f"{pkg}/copyright", "text": "\n".join(lines[i:i + per_doc])}

docs = []
docs += copyright_docs(["bash", "coreutils", "git", "apt", "dpkg", "python3", "openssl", "libc6", "manpages", "gcc-12"])
docs += catalogue_docs("de", ["apt", "dpkg", "grep", "bash"])
docs += catalogue_docs("hi", ["gtk20", "glib20", "PackageKit", "Linux-PAM", "iso_639", "gtk20-properties"])
for d in docs:
    sys.stdout.write(json.dumps(d, ensure_ascii=False) + "\n")
