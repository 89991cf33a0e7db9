"""The environment panel: device, library versions and every model's weight status.

`light_info` never imports torch (versions come from package metadata), so the home
page can draw at once; `full_info` imports torch/torchvision to name the device and look
up torchvision's weight files, and is run off the page's critical path.
"""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("torch", "torchvision", "streamlit", "captum", "plotly", "pillow", "numpy")


def package_versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def light_info() -> dict:
    from cnnviz.devices import cuda_driver_present

    return {"python": platform.python_version(), "versions": package_versions(),
            "cuda_driver_present": cuda_driver_present()}


def full_info(device_choice: str = "auto") -> dict:
    """Everything the home page and `python -m cnnviz info` show."""
    import torch

    from cnnviz.devices import device_name, resolve_device
    from cnnviz.networks.registry import all_statuses, imagenet_top1, parameter_count
    from cnnviz.networks.specs import SPECS

    device, notice = resolve_device(device_choice)
    info = light_info()
    info.update({
        "device": {"choice": device_choice, "type": device.type, "name": device_name(device), "notice": notice,
                   "cuda_available": torch.cuda.is_available(),
                   "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]},
        "models": [dict(s.as_dict(), title=SPECS[s.model].title, source=SPECS[s.model].source,
                        licence=SPECS[s.model].licence, parameters=parameter_count(s.model),
                        imagenet_top1=imagenet_top1(s.model)[0]) for s in all_statuses()],
    })
    return info
