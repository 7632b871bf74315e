#!/usr/bin/env python3
"""Regenerates the feature sections of config/pratu.toml from the built-in
defaults and the doc comments of the configuration structs.

    cargo test -p pratu --bin pratu dump_defaults -- --ignored --nocapture \
      | sed -n '/^{/,/^}/p' > /tmp/defaults.json
    scripts/gen-config-docs.py /tmp/defaults.json

Everything above the marker line in config/pratu.toml is kept as written.
"""
import json, re, sys, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
MARKER = "# ---- generated below: scripts/gen-config-docs.py ----"
SOURCES = {
    "proofing": ["crates/registration/src/config/proofing.rs"],
    "sms": ["crates/registration/src/config/sms.rs"],
    "otp": ["crates/registration/src/config/otp.rs"],
    "enrollment": ["crates/registration/src/config/enrollment.rs",
                   "crates/registration/src/domain/username.rs",
                   "crates/registration/src/domain/password.rs"],
    "limits": ["crates/registration/src/config/limits.rs", "crates/oidc-provider/src/config.rs"],
    "tokens": ["crates/oidc-provider/src/config.rs"],
    "session": ["crates/oidc-provider/src/config.rs"],
    "keys": ["crates/oidc-provider/src/config.rs"],
    "clients": ["crates/oidc-provider/src/config.rs"],
    "assurance": ["crates/oidc-provider/src/config.rs"],
    "admin": ["crates/admin/src/config.rs"],
}
HEADERS = {
    "proofing": "Identity proofing: who checks the laser code (DOMAIN.md §3).",
    "sms": "SMS sending (OTP codes).",
    "otp": "One-time codes sent by SMS.",
    "enrollment": "The Digital ID enrollment flow.",
    "limits": "Abuse limits: at most `max` events per `window_seconds`.",
    "tokens": "Token lifetimes.",
    "session": "The SSO session.",
    "keys": "Token-signing keys.",
    "clients": "Client applications (relying parties).",
    "assurance": "Sign-in assurance (acr values, step-up by SMS OTP).",
    "admin": "Operators: the admin API and console (see README, Operators).",
}

def field_docs(paths):
    docs = {}
    for p in paths:
        text = (root / p).read_text()
        pending = []
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("///"):
                pending.append(s[3:].strip())
                continue
            m = re.match(r"pub\s+(\w+)\s*:", s)
            if m and pending:
                docs.setdefault(m.group(1), " ".join(pending))
            if not s.startswith("#["):
                pending = []
    return docs

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        if "\n" in v:
            esc = v.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
            return '"""\n' + esc + '"""'
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)

def wrap(text, width=76):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur); cur = w
        else:
            cur = (cur + " " + w).strip()
    if cur:
        lines.append(cur)
    return ["# " + l for l in lines]

def section(path, value, docs, out, header=None):
    scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in value.items() if isinstance(v, dict)}
    out.append("")
    if header:
        out.extend(wrap(header))
    out.append(f"[{path}]")
    for k, v in scalars.items():
        if k in docs:
            out.extend(wrap(docs[k]))
        if v is None:
            out.append(f"# {k} =")
        else:
            out.append(f"{k} = {toml_value(v)}")
    for k, v in tables.items():
        if not v and k in ("headers",):
            if k in docs:
                out.extend(["", *wrap(docs[k])])
            out.append(f"[{path}.{k}]")
            continue
        sub = [*wrap(docs[k])] if k in docs else []
        section(f"{path}.{k}", v, docs, out, " ".join(x[2:] for x in sub) or None)

def main():
    defaults = json.loads(pathlib.Path(sys.argv[1]).read_text())
    target = root / "config/pratu.toml"
    head = target.read_text().split(MARKER)[0].rstrip() + "\n"
    out = [MARKER, "# Each key below is shown with its built-in default; edit the generator's", "# sources (the structs' doc comments), not this part, to change the text."]
    for name in SOURCES:
        section(name, defaults[name], field_docs(SOURCES[name]), out, HEADERS[name])
    target.write_text(head + "\n" + "\n".join(out) + "\n")

main()
