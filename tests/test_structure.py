"""The house rules the layout promises: thin pages in section folders, few top-level engine modules."""

import ast
import re
from pathlib import Path

from cnnviz.pagemap import HOME, PAGES

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_is_a_thin_file_in_its_section_folder():
    assert len(PAGES) >= 10  # a loop over no pages would assert nothing
    for page in [HOME, *PAGES]:
        path = ROOT / "pages" / page.file
        assert path.parent != ROOT / "pages", f"{page.file}: Streamlit's old pages/ mode would run it alone"
        assert len(path.read_text().splitlines()) <= 150, f"{page.file} is over 150 lines: move logic to cnnviz/"
    assert not list((ROOT / "pages").glob("*.py"))


def test_the_engine_keeps_at_most_eight_top_level_modules():
    top = [p.name for p in (ROOT / "cnnviz").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= 8, top


def test_the_readme_layout_names_every_engine_module():
    """The layout section is the map a stranger reads first: every module of cnnviz/ is on it (the method files
    are one entry, `methods/`)."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("Data flows one way")]
    words = set(re.findall(r"[\w.]+", layout))
    modules = [p for p in (ROOT / "cnnviz").rglob("*.py") if p.name != "__init__.py" and p.parent.name != "methods"]
    assert len(modules) > 50
    missing = [str(p.relative_to(ROOT)) for p in modules if p.stem not in words and p.name not in words]
    assert not missing, f"not on the README's layout: {missing}"


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The cnnviz modules `path` imports, at the top or inside a function (not those named only for type checks)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnviz"):
            out |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("cnnviz")}
    return out & modules


def test_the_engine_and_the_networks_have_no_import_circles():
    """A circle hidden by an import inside a function still ties two modules into one: none among the networks, the
    explanations and the page helpers (the class store's Redis backend, chosen at run time, is the one exception)."""
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (ROOT / "cnnviz").rglob("*.py")}
    graph = {m: _imports(p, set(files)) - {m} for m, p in files.items()}
    allowed = {frozenset({"cnnviz.classroom.store", "cnnviz.classroom.redis_store"})}
    circles = []
    for start in graph:  # a path from a module back to itself, found by a depth-first walk
        stack, seen = [(start, (start,))], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start and frozenset(path) not in allowed:
                    circles.append(" → ".join((*path, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    assert not circles, circles[:5]
