import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
# the test servers and halls warm the two pages most tests open first; Architectures' tracing of every built-in
# network (15 s of CPU per server, each replica of a hall at once) is left to the pages that need it
os.environ.setdefault("CNNVIZ_WARM_PAGES", "networks,backward")

import pytest  # noqa: E402

import tests.profiles  # noqa: E402, F401  (registers and loads the hypothesis profile)

TIERS = {"app": "app", "browser": "browser", "cli": "slow"}  # tests/<folder> → marker; the rest is `unit`


def _is_slow(item) -> bool:
    """Engine tests that start a Python subprocess (the CLI) or train networks for seconds."""
    return "cli" in item.name.split("[")[0].split("_") or item.get_closest_marker("slow") is not None


def pytest_collection_modifyitems(items):
    """Mark each test with its tier (unless it names one): `pytest -m unit` is the fast tier (under a minute),
    `slow` the engine tests that run the CLI or train, `app` AppTest, `browser` a real server and chromium."""
    for item in items:
        if any(item.get_closest_marker(m) for m in ("unit", "app", "browser")):
            continue
        folder = Path(str(item.fspath)).parent.name
        tier = TIERS.get(folder, "unit")
        if tier == "unit" and _is_slow(item):
            tier = "slow"
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture
def torchvision_cache(tmp_path, monkeypatch):
    """Put randomly initialised torchvision weights where the weights API caches them (no internet here).

    Returns a function `populate(name)`; the process-wide model and its derived graphs are
    forgotten afterwards, so no other test sees the random weights.
    """
    import torch
    import torchvision

    from cnnviz.networks import network, registry
    from cnnviz.networks.specs import SPECS

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    names: list[str] = []

    def populate(name: str) -> None:
        path = registry.torchvision_cache_path(SPECS[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(0)
        ref = (torchvision.models.GoogLeNet(transform_input=True, aux_logits=True, init_weights=False)
               if name == "googlenet" else getattr(torchvision.models, name)(weights=None))
        torch.save(ref.state_dict(), path)
        names.append(name)

    yield populate
    for name in names:
        network.forget(name)
