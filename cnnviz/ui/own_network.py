"""'Use your own network': a .pt2 file from torch.export, opened safely, offered (★) on every network page."""

from __future__ import annotations

import streamlit as st

from cnnviz.caching import digest_bytes
from cnnviz.errors import CnnvizError
from cnnviz.networks import exported
from cnnviz.ui.model_choice import adopt_upload, adopted

SLOT = "exported"
MAX_MB = exported.MAX_BYTES // 2**20
GUIDE = """```python
import torch
model.eval()                                  # your nn.Module, trained
example = torch.randn(2, 3, 224, 224)         # two pictures of your input size (1 channel: 2, 1, 28, 28)
program = torch.export.export(model, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
torch.export.save(program, "my_cnn.pt2")     # upload this file
```"""


def _numbers(text: str, what: str) -> tuple[float, ...] | None:
    if not text.strip():
        return None
    try:
        return tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise CnnvizError(f"{what}: numbers separated by commas, e.g. 0.485, 0.456, 0.406") from None


def own_network_panel(prefix: str) -> None:
    """The upload form with its guide; the network opened is offered on every network page; errors in words, the
    last good network kept."""
    with st.expander("★ Use your own network (.pt2, any architecture)", icon=":material/deployed_code:"):
        st.markdown(f"Your own CNN, exported with `torch.export` (up to {MAX_MB} MB) — five lines of PyTorch:")
        st.markdown(GUIDE)
        st.caption("Opened entry by entry: the graph, its raw weights and the example input (read weights-only) "
                   "and nothing else — a file with any other pickle is refused, so nothing in it can run. Layers, "
                   "feature maps, receptive fields, predictions, every attribution method, the sanity check and "
                   "fantasy images work on it; a layer built from operators without a module's meaning (a "
                   "computed weight, a custom operator) is shown as an operation, not a layer.")
        c_f, c_l = st.columns(2)
        file = c_f.file_uploader("Network (.pt2)", type=["pt2"], key=f"{prefix}_exp_file", max_upload_size=MAX_MB)
        labels = c_l.file_uploader("Class names (optional: .txt or .json)", type=["txt", "json"],
                                   key=f"{prefix}_exp_labels", max_upload_size=2)
        s, m, d = st.columns(3)
        size = s.number_input("Input size (px; 0: the example's)", 0, 1024, 0, key=f"{prefix}_exp_size")
        mean = m.text_input("Mean per channel (empty: ImageNet's)", key=f"{prefix}_exp_mean",
                            placeholder="0.485, 0.456, 0.406")
        std = d.text_input("Std per channel (empty: ImageNet's)", key=f"{prefix}_exp_std",
                           placeholder="0.229, 0.224, 0.225")
        if file is not None:
            digest = digest_bytes(file.getvalue(), labels.getvalue() if labels else b"",
                                  f"{size}|{mean}|{std}".encode())
            adopt_upload(SLOT, f"_{prefix}_exp_done", digest, "Checking the archive, rebuilding its layers…",
                         lambda: exported.load(file.getvalue(), labels.getvalue() if labels else None,
                                               labels.name if labels else "", file.name, int(size) or None,
                                               _numbers(mean, "Mean"), _numbers(std, "Std")))
        mine = adopted(SLOT)
        if mine is not None:
            n = len(mine.labels)
            st.success(f"In use for this session: **★ {mine.title}** — input {mine.input_size[1]}×"
                       f"{mine.input_size[2]}, {n} classes ({', '.join(mine.labels[:5])}{', …' if n > 5 else ''}).",
                       icon=":material/check_circle:")
