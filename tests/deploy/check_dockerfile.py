#!/usr/bin/env python3
"""check_dockerfile.py - the runtime image installs what the binary links.

Usage: check_dockerfile.py BINARY DOCKERFILE INSTALL_DEPS

Derives the Debian packages the built binary needs at run time from
`ldd BINARY` (each shared object mapped to its package with `dpkg -S`) and
fails when the last stage of DOCKERFILE does not install one of them. A
package counts as installed when the stage lists it, when a listed package
depends on it (directly or not, following the installed packages' Depends
and Pre-Depends), or when it is part of every Debian base image (Essential
or Priority "required"). The fonts the PDF export needs are the fonts-*
packages of scripts/install-deps.sh; the stage must list each of them.

No Docker engine is needed: the Dockerfile is parsed, not built.
"""
import os
import re
import shlex
import subprocess
import sys


def stage_packages(dockerfile):
    """Packages named by `apt-get install` in the Dockerfile's last stage."""
    text = open(dockerfile, encoding="utf-8").read()
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    stages = re.split(r"(?im)^FROM\s", text)
    pkgs = set()
    for line in stages[-1].splitlines():
        if not line.lstrip().upper().startswith("RUN"):
            continue
        for cmd in re.split(r"&&|;|\|\|", line):
            words = shlex.split(cmd.replace("RUN", " ", 1) if cmd.lstrip().startswith("RUN") else cmd)
            if "apt-get" in words and "install" in words:
                rest = words[words.index("install") + 1:]
                pkgs.update(w for w in rest if not w.startswith("-"))
    return pkgs


def dpkg_owners(paths):
    """Maps each path (or its /usr twin, usrmerge) to its package: one dpkg -S call."""
    cands = {}
    for p in paths:
        real = os.path.realpath(p)
        for c in (p, real):
            cands[c] = p
            cands["/usr" + c if not c.startswith("/usr/") else c[4:]] = p
    r = subprocess.run(["dpkg", "-S", *cands], capture_output=True, text=True)
    owners = {}
    for line in r.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in cands:
            owners[cands[path]] = pkgs.split(",")[0].split(":")[0].strip()
    return owners


def linked_packages(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = [m.group(1) for m in (re.search(r"=>\s+(/\S+)", l) for l in out.splitlines()) if m]
    owners = dpkg_owners(paths)
    return set(owners.values()), [p for p in paths if p not in owners]


def installed():
    """Essential/Priority and dependencies of every installed package: one dpkg-query call."""
    fmt = "${Package}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f=" + fmt], capture_output=True, text=True, check=True).stdout
    db = {}
    for line in out.splitlines():
        name, essential, priority, deps = (line.split("\t") + ["", "", ""])[:4]
        names = set()
        for alt in deps.split(","):
            for choice in alt.split("|"):
                d = choice.strip().split(" ")[0].split(":")[0]
                if d:
                    names.add(d)
        db[name] = (essential == "yes" or priority == "required", names)
    return db


def closure(roots, db):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(db.get(p, (False, set()))[1] - seen)
    return seen


def font_packages(install_deps):
    text = open(install_deps, encoding="utf-8").read()
    m = re.search(r"^PKGS=\((.*?)^\)", text, re.S | re.M)
    return {w for w in (m.group(1).split() if m else []) if w.startswith("fonts-")}


def main():
    binary, dockerfile, install_deps = sys.argv[1:4]
    listed = stage_packages(dockerfile)
    if not listed:
        print(f"{dockerfile}: no apt-get install in the runtime stage")
        return 1
    needed, unknown = linked_packages(binary)
    db = installed()
    covered = closure(listed, db)
    missing = sorted(p for p in needed - covered if not db.get(p, (False, set()))[0])
    fonts = sorted(font_packages(install_deps) - listed)
    rc = 0
    if unknown:
        print("shared objects no package owns (copy them or install their package):", " ".join(unknown))
        rc = 1
    if missing:
        print(f"{dockerfile}: the runtime stage misses packages {binary} links:", " ".join(missing))
        rc = 1
    if fonts:
        print(f"{dockerfile}: the runtime stage misses the PDF export's fonts:", " ".join(fonts))
        rc = 1
    if rc == 0:
        print(f"{dockerfile}: runtime stage covers the {len(needed)} packages {binary} links, and the fonts")
    return rc


if __name__ == "__main__":
    sys.exit(main())
