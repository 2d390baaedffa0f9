"""Print the package-level import graph of bridge/ and its cycles.

Why: the layering of decision 019 is only real if it is checked; import-linter enforces
the contracts, this script shows the whole graph in text so a reader (and the closing
note of a change) can see it.  It reads every ``import`` statement, including ones
inside functions, so an import hidden in a function still counts.

Usage: ``python scripts/import_graph.py [--hidden]``; exits 1 when a cycle exists, an import bypasses a domain's
door, or (with ``--hidden``, as ``make lint`` runs it) an import inside a function crosses domains.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: Packages allowed to import inside a function: the command line loads a command's heavy modules only when that
#: command runs (a fast ``leads --help``). Nothing imports cli, so a deferred import there cannot dodge a cycle,
#: and import-linter still checks its layer.
DEFERRED_OK = {"cli"}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "bridge" or len(parts) < 2:
        return None
    name = parts[1]
    top_modules = {"app", "composition", "settings", "errors", "tables", "metrics", "memory", "startup", "backup"}
    return name if (ROOT / "bridge" / name).is_dir() or name in top_modules else None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


#: The domains behind a door: other domains import ``bridge.<domain>.api`` only. The kernel (db, web, i18n, errors,
#: settings) is imported freely; the top (app, cli, composition, tables) assembles everything.
DOMAINS = {"dataspace", "wikibase", "trust", "credentials", "certificates", "courses", "ltitool", "awards", "wallets",
           "pool"}


def edges() -> tuple[dict[str, set[str]], list[str], list[str]]:
    """Domain -> domains it imports, imports made inside functions, and imports that bypass a door."""
    graph: dict[str, set[str]] = {}
    hidden: list[str] = []
    bypass: list[str] = []
    for path in sorted((ROOT / "bridge").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        mod = _module_name(path)
        src = _domain(mod)
        if src is None:
            continue
        graph.setdefault(src, set())
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        inner = {id(n) for f in functions for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    targets = [".".join([*base, node.module] if node.module else base)]
                else:
                    targets = [node.module or ""]
                targets = targets + [f"{targets[0]}.{a.name}" for a in node.names]
            if targets and src in DOMAINS:
                parts = targets[0].split(".")
                if parts[0] == "bridge" and len(parts) > 1 and parts[1] in DOMAINS and parts[1] != src and \
                        (len(parts) < 3 or parts[2] != "api"):
                    bypass.append(f"{path.relative_to(ROOT)}:{node.lineno} -> {targets[0]}")
            for target in targets:
                dst = _domain(target)
                if dst and dst != src:
                    graph[src].add(dst)
                    if id(node) in inner and "TYPE_CHECKING" not in target and src not in DEFERRED_OK:
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} -> {target}")
    return graph, sorted(set(hidden)), sorted(set(bypass))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    graph, hidden, bypass = edges()
    for src in sorted(graph):
        print(f"{src:12} -> {', '.join(sorted(graph[src])) or '-'}")
    found = cycles(graph)
    print(f"cycles: {len(found)}")
    for comp in found:
        print("  " + " <-> ".join(comp))
    print(f"imports that bypass a domain's door (bridge.<domain>.api): {len(bypass)}")
    for b in bypass:
        print("  " + b)
    if "--hidden" in sys.argv:
        print(f"imports inside functions across domains: {len(hidden)}")
        for h in hidden:
            print("  " + h)
    return 1 if found or bypass or ("--hidden" in sys.argv and hidden) else 0


if __name__ == "__main__":
    raise SystemExit(main())
