"""Which device computations run on: auto / cpu / cuda, chosen in the sidebar or CLI."""

from __future__ import annotations

import os
from pathlib import Path

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def cuda_driver_present() -> bool:
    """Cheap check (no torch import) whether an NVIDIA driver is on this machine."""
    return Path("/proc/driver/nvidia/version").exists() or any(Path("/dev").glob("nvidia[0-9]*"))


def resolve_device(choice: str = "auto"):
    """(torch.device, notice or None). Asking for CUDA without one falls back to the CPU."""
    import torch

    choice = (choice or "auto").lower()
    if choice not in DEVICE_CHOICES:
        return torch.device("cpu"), f"unknown device '{choice}': using the CPU"
    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        return torch.device("cpu"), "CUDA was asked for but no CUDA device is available: using the CPU"
    if choice == "cpu" or not has_cuda:
        return torch.device("cpu"), None
    return torch.device("cuda"), None


def device_name(device) -> str:
    """'CUDA: <GPU name>' or 'CPU (n cores)' for a torch.device or its name."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({os.cpu_count()} cores)"
