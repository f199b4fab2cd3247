#!/usr/bin/env python3
"""Lists the import circles among the Rust files of a crate folder: files that, through `crate::…`,
`super::…` and `self::…` paths (in `use` lines and in code), and a module's paths into its own
children (`mod x;` then `x::…`), each reach the others.

    scripts/import-circles.py app/src [app/src/server app/src/ui …]

With no folder after the crate's root it looks at the whole crate. It prints each circle and its
files, and exits 1 if there is any, 0 if there is none. A text reading, not a compiler's: a path in a
comment or a string counts too, so a circle it names is worth opening; none means none.
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::\w+)*)::\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def module_of(root: Path, file: Path) -> list[str]:
    """`app/src/server/bulk/jobs.rs` -> ["server", "bulk", "jobs"]; a `mod.rs` or `lib.rs` is its folder."""
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def file_of(root: Path, module: list[str]) -> Path | None:
    """The file of the longest prefix of `module` that is one; for an item a folder re-exports
    (`pub use x::*`), the file among the folder's that defines it."""
    for n in range(len(module), -1, -1):
        base = root.joinpath(*module[:n])
        for candidate in (base.with_suffix(".rs"), base / "mod.rs") if n else (root / "lib.rs",):
            if candidate.is_file():
                if n < len(module) and candidate.name == "mod.rs":
                    return defining(candidate.parent, module[n]) or candidate
                return candidate
    return None


def defining(folder: Path, item: str) -> Path | None:
    """The file directly in `folder` that defines `item`, if one does."""
    definition = re.compile(rf"\bpub\s+(?:async\s+)?(?:struct|enum|fn|const|type|trait|static)\s+{item}\b")
    for file in sorted(folder.glob("*.rs")):
        if file.name != "mod.rs" and definition.search(file.read_text()):
            return file
    return None


def paths_in(text: str) -> list[tuple[str, list[str]]]:
    """Every `crate::a::b`, `super::a` path, with `use x::{a::b, c}` groups spread out."""
    found = []
    for match in GROUP.finditer(text):
        head = match.group(2).split("::")[1:]
        for item in re.split(r",(?![^{]*\})", match.group(3)):
            item = re.sub(r"\{.*\}", "", item).strip().split(" as ")[0]
            if item and item != "self":
                found.append((match.group(1), head + [part for part in item.split("::") if part]))
            elif item == "self":
                found.append((match.group(1), head))
    for match in PATH.finditer(GROUP.sub("", text)):
        found.append((match.group(1), match.group(2).split("::")[1:]))
    return found


def graph(root: Path) -> dict[Path, set[Path]]:
    arrows: dict[Path, set[Path]] = {}
    for file in sorted(root.rglob("*.rs")):
        here = module_of(root, file)
        # Comments out, and the unit tests at the end of a file (their `super` is the file itself).
        text = re.sub(r"//[^\n]*", "", file.read_text()).split("#[cfg(test)]")[0]
        targets = set()
        for anchor, rest in paths_in(text):
            if anchor == "crate":
                module = rest
            else:
                # `super` of `a/b.rs` (module a::b) is `a`; of `a/b/mod.rs` (also a::b) it is `a` too.
                base = here if anchor == "self" else here[:-1]
                while rest and rest[0] == "super":
                    base, rest = base[:-1], rest[1:]
                module = base + rest
            target = file_of(root, module)
            if target and target != file:
                targets.add(target)
        # Paths into the module's own children: `mod x;` then `x::item`.
        for child in re.findall(r"\bmod\s+(\w+)\s*;", text):
            if re.search(rf"(?<![:\w]){child}::", text):
                target = file_of(root, here + [child])
                if target and target != file:
                    targets.add(target)
        arrows[file] = targets
    return arrows


def circles(arrows: dict[Path, set[Path]]) -> list[list[Path]]:
    """Strongly connected components of more than one file (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: Path) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for next_node in arrows.get(node, ()):
            if next_node not in index:
                visit(next_node)
                low[node] = min(low[node], low[next_node])
            elif next_node in on_stack:
                low[node] = min(low[node], index[next_node])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    root = Path(sys.argv[1])
    places = [Path(place) for place in sys.argv[2:]] or [root]
    found = [
        circle
        for circle in circles(graph(root))
        if any(place == member or place in member.parents for place in places for member in circle)
    ]
    for n, circle in enumerate(found, 1):
        print(f"circle {n}: " + " <-> ".join(str(member) for member in circle))
    if not found:
        print("no import circles in " + ", ".join(str(place) for place in places))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
