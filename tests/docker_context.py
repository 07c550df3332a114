"""What `docker build` would send and copy, from the Dockerfiles and `.dockerignore`.

No Docker engine runs here, so this follows Docker's rules by hand
(moby/patternmatcher, as `docker build` applies them): patterns are cleaned
paths relative to the context root (a leading "/" means nothing), `*` and `?`
do not cross "/", `**` matches any number of folders, `[...]` is a class, a
pattern that matches a folder excludes everything under it, `!` re-includes,
and the last matching pattern decides.
"""

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exclusion: bool  # a "!" line


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(.*/)?", i + 1
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out)


def parse_ignore(text: str) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        line = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        patterns.append(Pattern(_regex(line), exclusion))
    return patterns


def ignored(patterns: list[Pattern], path: str) -> bool:
    """Whether `path` (relative, "/"-separated) stays out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for pattern in patterns:
        if any(pattern.regex.fullmatch(p) for p in prefixes):
            result = not pattern.exclusion
    return result


def context_files(root: Path) -> set[str]:
    """The files (and links) under `root` that `docker build root` would send."""
    patterns = parse_ignore((root / ".dockerignore").read_text())
    prunable = not any(p.exclusion for p in patterns)
    sent: set[str] = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder).relative_to(root).as_posix()
        prefix = "" if here == "." else here + "/"
        # A link to a folder is sent as a link, never followed.
        links = [d for d in dirs if (Path(folder) / d).is_symlink()]
        candidates = [prefix + name for name in (*files, *links)]
        sent |= {path for path in candidates if not ignored(patterns, path)}
        keep = [d for d in dirs if d not in links]
        if prunable:
            keep = [d for d in keep if not ignored(patterns, prefix + d)]
        dirs[:] = keep
    return sent


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each starting with its FROM."""
    found: list[list[tuple[str, str]]] = []
    for step in instructions(path):
        if step[0] == "FROM":
            found.append([])
        found[-1].append(step)
    return found


def copies_from_context(steps: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(sources, destination) of the COPY steps that read the build context."""
    found = []
    for word, rest in steps:
        args = rest.split()
        if word == "COPY" and not any(a.startswith("--from") for a in args):
            args = [a for a in args if not a.startswith("--")]
            found.append((args[:-1], args[-1]))
    return found


def copied(sent: set[str], sources: list[str]) -> set[str]:
    """The sent files that COPY `sources` brings in (a folder brings its tree)."""
    names = set()
    for source in sources:
        source = posixpath.normpath(source)
        names |= {f for f in sent if f == source or f.startswith(source + "/")}
    return names
