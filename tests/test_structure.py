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


def _run_time_nodes(path: Path) -> list[ast.AST]:
    """Every node of a file but those under `if TYPE_CHECKING:` (imports named only for type checks)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    return [n for n in ast.walk(tree) if id(n) not in typing_only]


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The cnnviz modules `path` imports, at the top or inside a function (not those named only for type checks)."""
    out = set()
    for node in _run_time_nodes(path):
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


PAGE_FILES = [ROOT / "pages" / p.file for p in [HOME, *PAGES]]


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]


def test_every_page_opens_one_typed_state_and_writes_its_link_through_it():
    """One page shape: `state = open_page(SomeState)` once at the top, `publish(state)` for its link (Home has none);
    the page never reaches into the session or the URL itself (its state class does)."""
    for path in PAGE_FILES:
        text = path.read_text()
        tree = ast.parse(text)
        opened = _calls(tree, "open_page")
        assert len(opened) == 1, f"{path.name}: opens {len(opened)} page states"
        top = [n for n in tree.body if isinstance(n, ast.Assign) and n.value is opened[0]]
        assert top, f"{path.name}: open_page is not a top-level assignment"
        assert len(_calls(tree, "publish")) == (path.name != "home.py"), f"{path.name}: publishes its link " \
            f"{len(_calls(tree, 'publish'))} times (once: after every widget that goes into it)"
        for forbidden in ("st.session_state", "st.query_params", "cache_data", "cache_resource", "page_store",
                          "write_url", "read_url_once"):
            assert forbidden not in text, f"{path.name} uses {forbidden}: that belongs to its state or its views"


def _page_states() -> list[type]:
    import importlib
    import pkgutil

    import cnnviz.ui
    from cnnviz.ui.page import PageState

    for m in pkgutil.walk_packages(cnnviz.ui.__path__, "cnnviz.ui."):
        importlib.import_module(m.name)

    def below(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *below(sub))]
    return below(PageState)


def test_every_page_state_is_a_dataclass_with_its_own_key_and_its_link_beside_it():
    import dataclasses

    states = _page_states()
    concrete = [s for s in states if s.__dataclass_fields__["name"].default]
    assert len(concrete) >= 13, [s.__name__ for s in concrete]  # one per page
    keys = [s.session_key() for s in concrete]
    assert len(set(keys)) == len(keys), keys
    for cls in states:
        assert dataclasses.is_dataclass(cls), cls
        assert cls.__module__.startswith("cnnviz.ui."), cls
    writers = sorted(p.name for p in (ROOT / "cnnviz").rglob("*.py") if "write_url(" in p.read_text())
    assert writers == ["address_bar.py", "page.py"], writers  # every page link is written by publish()
    opened = {re.search(r"open_page\(([\w.]+)\)", p.read_text()).group(1).split(".")[-1] for p in PAGE_FILES}
    assert opened <= {s.__name__ for s in concrete}, opened


def test_a_page_state_refuses_a_name_that_is_not_one_of_its_fields():
    import pytest

    from cnnviz.ui.views.pool_views import PoolState

    state = PoolState.initial()
    state["kh"] = 3  # the generic widget helpers reach fields by name
    assert state.kh == 3 and state["kh"] == 3 and "kh" in state
    for bad in (lambda: state.__setitem__("kernel_rows", 3), lambda: state["kernel_rows"],
                lambda: state.get("kernel_rows")):
        with pytest.raises(KeyError, match="kernel_rows"):
            bad()


def test_one_caching_policy_keyed_caches_for_shared_work_and_no_streamlit_caches():
    """Shared results go through caching.KeyedCache (bounded, built once per key); a learner's own results live in
    their page state; functools.cache only memoises the package's constants over a closed set of keys."""
    constants = {"paper_alexnet_one_gpu_params", "architectures", "reference_shapes", "parameter_count",
                 "imagenet_labels", "mnist_split", "_decoded_sample", "_registry"}
    files = [*(ROOT / "cnnviz").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]
    for path in files:
        text = path.read_text()
        for forbidden in ("st.cache_data", "st.cache_resource", "lru_cache"):
            assert forbidden not in text, f"{path.relative_to(ROOT)} uses {forbidden}: use a KeyedCache"
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(getattr(d, "id", None) == "cache" for d in node.decorator_list):
                assert node.name in constants, f"{path.relative_to(ROOT)}: {node.name} is cached with functools"


def _runtime_imports(path: Path) -> set[str]:
    """Top-level package names `path` imports at run time (inside functions too; not under TYPE_CHECKING)."""
    out = set()
    for node in _run_time_nodes(path):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
    return out


def test_the_drawing_modules_and_the_pages_import_no_torch():
    """`ui/` draws and pages are thin: a model run, a cache of tensors or a gradient belongs to the engine."""
    files = [*sorted((ROOT / "cnnviz" / "ui").rglob("*.py")), *PAGE_FILES]
    assert len(files) > 40
    offenders = [str(p.relative_to(ROOT)) for p in files if {"torch", "torchvision", "captum"} & _runtime_imports(p)]
    assert not offenders, offenders


def test_every_lasting_session_key_is_declared_once_by_the_module_that_defines_it():
    """What survives following the teacher is declared beside its key (`session.lasting`): no module keeps a list
    of other modules' private keys, so a new key cannot be left off one and silently wiped."""
    from cnnviz.ui.session import lasting_keys

    _page_states()  # imports every ui module: each declares its own lasting keys
    keys = {k for k in lasting_keys() if k.startswith("_")}
    assert {"_class", "_session_models", "_run_owner", "_lenet_run", "_tl_run", "_depth_runs", "_of_runs",
            "_predict_score", "_lesson"} <= keys
    sources = [p.read_text() for p in [*(ROOT / "cnnviz").rglob("*.py"), ROOT / "app.py", *PAGE_FILES]]
    for key in sorted(keys):
        named = sum(s.count(f'"{key}"') + s.count(f"'{key}'") for s in sources)
        assert named == 1, f"{key} is spelled out {named} times: name it once (lasting) and import the name"


def test_one_training_loop_takes_every_optimiser_step():
    """LeNet-5, the depth and overfitting labs, the digit detector and transfer learning train in learn/loop.py;
    the fantasy images optimise pixels, not a network, and keep their own step."""
    stepping = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "cnnviz").rglob("*.py")
                      if re.search(r"\bopt(imi[sz]er)?\.step\(\)", p.read_text()))
    assert stepping == ["cnnviz/explain/fantasy.py", "cnnviz/learn/loop.py"], stepping


def test_no_two_engine_modules_share_a_name_and_none_shadows_the_standard_library():
    """A name says one thing once: `grids/questions` and `ui/predict_first`, never two `predict`s (a cli/ module named
    after what it drives is the one exception); no module hides a standard one (`inspect`, `numbers`)."""
    import sys

    modules = [p for p in (ROOT / "cnnviz").rglob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    outside_cli = [p.stem for p in modules if p.parent.name != "cli"]
    twice = sorted({s for s in outside_cli if outside_cli.count(s) > 1})
    assert not twice, twice
    shadowing = sorted({p.stem for p in modules} & set(sys.stdlib_module_names))
    assert not shadowing, shadowing


def test_functions_a_reader_can_hold():
    """None over 60 lines in the engine, the drawing modules and the pages: a longer one is several things at once."""
    files = [*(ROOT / "cnnviz").rglob("*.py"), *PAGE_FILES]
    long = [f"{p.relative_to(ROOT)}:{n.name} ({n.end_lineno - n.lineno + 1} lines)" for p in files
            for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.lineno + 1 > 60]
    assert not long, long


def test_caches_and_keys_live_in_the_engine():
    """A process-wide cache, a sharing rule or a digest of a photo is engine work: `ui/` and the pages hold no
    module-level cache and hash nothing themselves (they use caching.digest, probe.input_key and the engine's
    caches)."""
    files = [*sorted((ROOT / "cnnviz" / "ui").rglob("*.py")), *PAGE_FILES]
    offenders = []
    for p in files:
        tree = ast.parse(p.read_text())
        if "hashlib" in _runtime_imports(p):
            offenders.append(f"{p.name}: hashes with hashlib")
        for node in tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("KeyedCache", "OrderedDict", "dict"):
                offenders.append(f"{p.name}:{node.lineno}: a module-level cache")
    assert not offenders, offenders


def test_one_module_writes_the_address_bar():
    """Every change to the link goes through ui/address_bar.py (a page's publish, a step, settings, predict mode,
    the class code): a link's contents are decided in one place."""
    assignment = re.compile(r"st\.query_params\[[^\]]+\]\s*=(?!=)|del st\.query_params|st\.query_params\."
                            r"(clear|update|from_dict|pop)\(")
    writers = sorted(str(p.relative_to(ROOT)) for p in [*(ROOT / "cnnviz").rglob("*.py"), ROOT / "app.py", *PAGE_FILES]
                     if assignment.search(p.read_text()))
    assert writers == ["cnnviz/ui/address_bar.py"], writers
