"""'Use your own weights': upload a state dict and look inside it on every network page, for this session only."""

from __future__ import annotations

import streamlit as st

from cnnviz.caching import digest_bytes
from cnnviz.networks import own_weights as own
from cnnviz.ui.model_choice import adopt_upload, adopted

SLOT = "own"
MAX_MB = own.MAX_WEIGHT_BYTES // 2**20


def _labels_text(labels: tuple[str, ...]) -> bytes:
    return ("\n".join(labels) + "\n").encode()


def own_weights_panel(prefix: str) -> None:
    """The upload form, the last loaded network, and its download; errors are one message, the last good one kept.
    Below it, the same for a whole network of your own (a .pt2 from torch.export)."""
    from cnnviz.ui.own_network import own_network_panel

    _weights_panel(prefix)
    own_network_panel(prefix)


def _weights_panel(prefix: str) -> None:
    with st.expander("★ Use your own weights", icon=":material/upload_file:"):  # a fixed label keeps it open
        st.caption(f"A state dict (`torch.save(model.state_dict(), 'weights.pt')`, up to {MAX_MB} MB) for a "
                   "torchvision classification architecture, LeNet-5 or EfficientNet-Lite. The number of classes is "
                   "read from the final layer; class names from an optional text file (one per line) or JSON list. "
                   "Read in memory with `weights_only=True` (no code runs), never written to disk, offered (★) on "
                   "every network page for this session only, and never part of a shared link.")
        archs = own.architectures()
        arch = st.selectbox("Architecture", archs, index=archs.index("resnet18"), key=f"{prefix}_own_arch",
                            help="LeNet-5 means this app's layout (tanh, average pooling); torchvision's names are "
                                 "those of torchvision.models.list_models()")
        c_w, c_l = st.columns(2)
        weights = c_w.file_uploader("Weights (.pt / .pth)", type=["pt", "pth"], key=f"{prefix}_own_weights",
                                    max_upload_size=MAX_MB)
        labels = c_l.file_uploader("Class names (optional: .txt or .json)", type=["txt", "json"],
                                   key=f"{prefix}_own_labels", max_upload_size=2)
        if weights is not None:
            digest = digest_bytes(weights.getvalue(), labels.getvalue() if labels else b"", arch.encode())
            adopt_upload(SLOT, f"_{prefix}_own_done", digest, "Checking and loading the weights…", lambda: own.load(
                arch, weights.getvalue(), labels.getvalue() if labels else None, labels.name if labels else "",
                weights.name, size=weights.size))
        mine = adopted(SLOT)
        if mine is not None:
            n = len(mine.labels)
            st.success(f"In use for this session: **★ {mine.title}** — {n} classes "
                       f"({', '.join(mine.labels[:5])}{', …' if n > 5 else ''}).", icon=":material/check_circle:")
            c1, c2 = st.columns(2)
            c1.download_button("Download the weights", lambda: own.to_bytes(mine), file_name=f"{mine.base}_weights.pt",
                               icon=":material/download:", key=f"{prefix}_own_download")
            c2.download_button("Download the class names", _labels_text(mine.labels), file_name="classes.txt",
                               icon=":material/download:", key=f"{prefix}_own_labels_download")
