import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

import pytest  # noqa: E402

import tests.profiles  # noqa: E402, F401  (registers and loads the hypothesis profile)

TIERS = {"app": "app", "browser": "browser"}  # tests/<folder> → marker; everything else is the unit tier


def pytest_collection_modifyitems(items):
    """Mark each test with its tier from its folder (unless it names one): `pytest -m unit` is the fast tier."""
    for item in items:
        if any(item.get_closest_marker(m) for m in ("unit", "app", "browser")):
            continue
        folder = Path(str(item.fspath)).parent.name
        item.add_marker(getattr(pytest.mark, TIERS.get(folder, "unit")))


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
