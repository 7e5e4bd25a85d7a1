#!/bin/bash
# cli_citation.sh — CITATION.cff is valid YAML with the keys CFF 1.2.0 requires
# (cff-version, message, title, authors; type, title and authors in every
# reference), and its version and licence agree with the build and LICENSE.
set -u
bin=${1:?usage: cli_citation.sh MADBENCH_BINARY}
root=${MB_SOURCE_DIR:?MB_SOURCE_DIR not set}
version=$("$bin" --version | awk '{print $2}')
python3 - "$root/CITATION.cff" "$root/LICENSE" "$version" <<'PY'
import sys, yaml
path, license_path, version = sys.argv[1:]
c = yaml.safe_load(open(path, encoding="utf-8"))
def need(cond, what):
    if not cond:
        sys.exit(f"FAIL: {path}: {what}")
def authors_ok(authors):
    return isinstance(authors, list) and authors and all(
        isinstance(a, dict) and (a.get("family-names") or a.get("name")) for a in authors)
need(isinstance(c, dict), "not a YAML mapping")
need(c.get("cff-version") == "1.2.0", "cff-version is not 1.2.0")
for key in ("message", "title"):
    need(isinstance(c.get(key), str) and c[key].strip(), f"{key} missing")
need(authors_ok(c.get("authors")), "authors: a non-empty list of persons or entities")
need(c.get("type", "software") in ("software", "dataset"), "type: software or dataset")
need(str(c.get("version")) == version, f"version {c.get('version')} but madbench {version}")
first = open(license_path, encoding="utf-8").readline().split()[0]
need(c.get("license") == first, f"license {c.get('license')} but LICENSE is {first}")
for i, r in enumerate(c.get("references", [])):
    need(isinstance(r.get("type"), str) and isinstance(r.get("title"), str)
         and authors_ok(r.get("authors")), f"reference {i}: type, title and authors")
print("cli_citation: all checks passed")
PY
