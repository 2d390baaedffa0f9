"""The competence map of a practice as SVG: practice → competences → credentials → stacks → courses.

Pure functions: ``graph_from_practice`` turns the practice page data into columns of nodes and edges, and
``render_svg`` lays them out and writes the SVG text (every piece of data-set text escaped). The picture has a
``<title>`` and ``<desc>`` so that it is described to people who cannot see it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

NODE_W = 200
COL_GAP = 70
MARGIN = 20
HEADER_H = 36
LINE_H = 16
PAD = 9
V_GAP = 14
WRAP = 26
MAX_LINES = 4

STYLES: dict[str, tuple[str, str]] = {  # kind → (fill, stroke); dark text on light fills (contrast > 10:1)
    "practice": ("#fde7c8", "#8a4b00"),
    "competence": ("#e3f0fb", "#0b57a4"),
    "credential-design": ("#e6f4ea", "#1e6b30"),
    "stack": ("#cfe9d6", "#134a20"),
    "course": ("#f1e6fa", "#5e2784"),
}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str
    column: int
    href: str = ""


@dataclass
class MapGraph:
    title: str
    description: str
    headers: list[str]
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)


def graph_from_practice(page: dict[str, Any], words: dict[str, str]) -> MapGraph:
    """Columns: practice, competences, one column per stacking depth of credentials, courses."""
    practice = page["practice"]
    designs = {d["key"]: d for d in page["designs"]}
    depth: dict[str, int] = {}

    def depth_of(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key not in depth:
            parts = [p["key"] for p in designs[key]["parts"] if p["key"] in designs and p["key"] not in seen]
            depth[key] = 1 + max((depth_of(p, seen | {key}) for p in parts), default=-1)
        return depth[key]

    max_depth = max((depth_of(k) for k in designs), default=0)
    course_col = 3 + max_depth
    headers = [words["map_col_practice"], words["map_col_competences"], words["map_col_designs"]]
    headers += [words["map_col_stacks"]] * max_depth + [words["map_col_courses"]]

    graph = MapGraph(title=f"{words['map']}: {practice['label']}", description="", headers=headers)
    graph.nodes.append(Node(practice["key"], practice["label"], "practice", 0, practice["href"]))
    competence_keys = set()
    for c in page["competences"]:
        competence_keys.add(c["key"])
        graph.nodes.append(Node(c["key"], c["label"], "competence", 1, c["href"]))
        graph.edges.append((practice["key"], c["key"]))
    for key, d in designs.items():
        kind = "stack" if d["is_stack"] else "credential-design"
        graph.nodes.append(Node(key, d["label"], kind, 2 + depth_of(key), d["href"]))
        via_parts = {c for p in d["parts"] if p["key"] in designs for c in designs[p["key"]].get("competences", [])}
        graph.edges += [(c, key) for c in d.get("competences", []) if c in competence_keys and c not in via_parts]
        graph.edges += [(p["key"], key) for p in d["parts"] if p["key"] in designs]
    for course in page["courses"]:
        graph.nodes.append(Node(course["key"], course["label"], "course", course_col, course["href"]))
        if course["design"] and course["design"]["key"] in designs:
            graph.edges.append((course["design"]["key"], course["key"]))
    graph.description = describe(graph)
    return graph


def describe(graph: MapGraph) -> str:
    """A sentence per column and the links between nodes, for screen readers (the ``<desc>``)."""
    labels = {n.id: n.label for n in graph.nodes}
    lines = []
    for col, header in enumerate(graph.headers):
        names = [n.label for n in graph.nodes if n.column == col]
        if names:
            lines.append(f"{header}: " + "; ".join(names) + ".")
    lines += [f"{labels[a]} → {labels[b]}." for a, b in graph.edges if a in labels and b in labels]
    return " ".join(lines)


def _lines(label: str) -> list[str]:
    lines = textwrap.wrap(label, WRAP, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], textwrap.shorten(" ".join(lines[MAX_LINES - 1:]), WRAP, placeholder="…")]
    return lines


def render_svg(graph: MapGraph) -> str:
    """Lay the columns out left to right, nodes stacked and centred, edges as curves with arrows."""
    columns = max((n.column for n in graph.nodes), default=0) + 1
    boxes: dict[str, tuple[float, float, float, list[str]]] = {}  # id → x, y, height, lines
    heights = []
    for col in range(columns):
        y = 0.0
        for node in (n for n in graph.nodes if n.column == col):
            lines = _lines(node.label)
            h = float(len(lines) * LINE_H + 2 * PAD)
            boxes[node.id] = (MARGIN + col * (NODE_W + COL_GAP), y, h, lines)
            y += h + V_GAP
        heights.append(max(y - V_GAP, 0))
    body_h = max(heights, default=0)
    for col in range(columns):  # centre each column vertically
        offset = MARGIN + HEADER_H + (body_h - heights[col]) / 2
        for node in (n for n in graph.nodes if n.column == col):
            x, y, h, lines = boxes[node.id]
            boxes[node.id] = (x, y + offset, h, lines)
    width = 2 * MARGIN + columns * NODE_W + (columns - 1) * COL_GAP
    height = 2 * MARGIN + HEADER_H + body_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:g}" height="{height:g}" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-labelledby="map-title map-desc" font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" '
        f'font-size="13">',
        f'<title id="map-title">{escape(graph.title)}</title>',
        f'<desc id="map-desc">{escape(graph.description)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{width:g}" height="{height:g}" fill="#ffffff"/>',
    ]
    for col, header in enumerate(graph.headers[:columns]):
        x = MARGIN + col * (NODE_W + COL_GAP) + NODE_W / 2
        out.append(f'<text x="{x:g}" y="{MARGIN + 16}" text-anchor="middle" font-weight="bold" '
                   f'fill="#1b1b1b">{escape(header)}</text>')
    for a, b in graph.edges:
        if a not in boxes or b not in boxes:
            continue
        ax, ay, ah, _ = boxes[a]
        bx, by, bh, _ = boxes[b]
        x1, y1, x2, y2 = ax + NODE_W, ay + ah / 2, bx, by + bh / 2
        dx = (x2 - x1) / 2
        out.append(f'<path d="M{x1:g},{y1:g} C{x1 + dx:g},{y1:g} {x2 - dx:g},{y2:g} {x2 - 1:g},{y2:g}" '
                   'fill="none" stroke="#666" stroke-width="1.3" marker-end="url(#arrow)"/>')
    for node in graph.nodes:
        x, y, h, lines = boxes[node.id]
        fill, stroke = STYLES.get(node.kind, ("#f4f4f4", "#444"))
        shape = (f'<rect x="{x:g}" y="{y:g}" width="{NODE_W}" height="{h:g}" rx="8" fill="{fill}" '
                 f'stroke="{stroke}" stroke-width="{2.5 if node.kind in ("stack", "practice") else 1.5}"/>')
        text = "".join(
            f'<tspan x="{x + NODE_W / 2:g}" y="{y + PAD + (i + 1) * LINE_H - 4:g}">{escape(line)}</tspan>'
            for i, line in enumerate(lines))
        group = (f'<g class="node {node.kind}" data-key={quoteattr(node.id)}><title>{escape(node.label)}</title>'
                 f'{shape}<text text-anchor="middle" fill="#1b1b1b">{text}</text></g>')
        if node.href:
            group = f'<a href={quoteattr(node.href)} xlink:href={quoteattr(node.href)}>{group}</a>'
        out.append(group)
    out.append("</svg>")
    return "\n".join(out)
