"""The picture a network page works on: a sample, an upload or the camera — or a held-out MNIST digit.

Shared by Networks, Attributions and the like so that every page offers the same sources,
decodes uploads in memory only, and keeps the sample when an upload is bad.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.caching import digest_bytes
from cnnviz.errors import ImageError
from cnnviz.images import MAX_PHOTO_MB, SAMPLE_PHOTOS, UPLOAD_TYPES, load_image, load_sample
from cnnviz.networks import registry
from cnnviz.networks.lenet import heldout_digits
from cnnviz.networks.network import Network
from cnnviz.ui.model_choice import NetworkPageState
from cnnviz.ui.page import PageState
from cnnviz.ui.settings import start


def decode_upload(f) -> tuple[np.ndarray, str] | None:
    """An uploaded photo as (RGB, content hash), or None after showing why it cannot be read."""
    try:
        data = f.getvalue()
        return load_image(data, getattr(f, "name", "camera")), digest_bytes(data)
    except ImageError as e:
        st.error(str(e) + " Showing the sample instead.")
        return None


def digit_picture(net: Network, store: NetworkPageState, prefix: str, allow_upload: bool = True) -> tuple[np.ndarray, str]:
    """A held-out MNIST digit (shown dark on light, like ink on paper) or an uploaded digit photo."""
    xte, yte = heldout_digits()
    src = "Held-out MNIST digit"
    if allow_upload:
        src = st.segmented_control("Digit", ["Held-out MNIST digit", "Upload"], default="Held-out MNIST digit",
                                   key=f"{prefix}_digit_src", required=True)
    if src == "Upload":
        up = st.file_uploader("A digit photo: dark ink on a light background, roughly centred", type=UPLOAD_TYPES, max_upload_size=MAX_PHOTO_MB,
                              key=f"{prefix}_digit_upload")
        got = decode_upload(up) if up is not None else None
        if got:
            return got
        if up is None:
            st.info("No digit photo chosen yet: drop one above. Until then, the held-out digit below is used.",
                    icon=":material/upload:")
    store.digit = int(st.slider("Held-out digit number (not seen in training)", 0, len(yte) - 1,
                                value=store.digit, key=f"{prefix}_digit"))
    k = store.digit
    accuracy = registry.lenet_accuracy() or 0
    st.caption(f"True label: **{int(yte[k])}**" + (
        " · your LeNet-5 never trained on it either" if net.is_session else
        f" · LeNet-5's held-out accuracy {100 * accuracy:.1f} % on these 1,000 digits"))
    return np.repeat((255 - xte[k])[..., None], 3, axis=-1), f"digit{k}"


def photo_picture(store: PageState, prefix: str, camera: bool = True) -> tuple[np.ndarray, str]:
    """A sample photo, an upload or (optionally) the camera; the sample while the others give nothing."""
    tabs = st.tabs(["Sample photo", "Upload"] + (["Camera"] if camera else []))
    with tabs[0]:
        store["sample"] = st.selectbox("Sample photo", list(SAMPLE_PHOTOS),
                                       key=f"{prefix}_sample",
                                       **start(f"{prefix}_sample", list(SAMPLE_PHOTOS).index(store["sample"]), "index"))
    with tabs[1]:
        up = st.file_uploader("Your photo (PNG, JPEG, WebP, BMP, GIF, TIFF; kept in memory only)", type=UPLOAD_TYPES, max_upload_size=MAX_PHOTO_MB,
                              key=f"{prefix}_upload")
        if up is None:
            st.caption("Nothing uploaded yet: the sample photo is used until you choose a file.")
    cam = None
    if camera:
        with tabs[2]:
            cam = st.camera_input("Take a picture", key=f"{prefix}_camera") \
                if st.toggle("Use the camera", key=f"{prefix}_cam_on") else None
    from cnnviz.ui.classroom import note_upload, shared_photo

    shared = shared_photo()
    if shared is not None:  # a student following a teacher who shared a photo; a student's spotlight
        return shared
    for f in (cam, up):
        got = decode_upload(f) if f is not None else None
        if got:
            note_upload(got)
            return got
    return load_sample(store["sample"]), store["sample"]


def picture(net: Network, store: NetworkPageState, prefix: str, camera: bool = True) -> tuple[np.ndarray, str]:
    """The picture for `net`: digits for LeNet-5, photos for the ImageNet networks; (RGB uint8, stable id)."""
    if net.takes_digits:
        return digit_picture(net, store, prefix)
    return photo_picture(store, prefix, camera)


def weights_missing(net: Network, key: str) -> bool:
    """Say what is missing and how to get it (with an in-page download); True when the page must stop here."""
    if net.available:
        return False
    s = net.status()
    st.warning(f"**{net.title} weights are not on this machine** ({s.detail}). To get them, run on a machine with "
               f"internet:\n\n`{s.how_to_get.split('   ')[0]}`\n\nor copy the file into `{s.path}`. "
               "EfficientNet-Lite0 and LeNet-5 work right now.", icon=":material/cloud_download:")
    if st.button(f"Download {net.title} weights now", icon=":material/download:", key=key):
        bar = st.progress(0.0, text="Downloading…")
        try:
            registry.download_with_progress(net.key, lambda f: bar.progress(min(f, 1.0), text=f"{100 * f:.0f} %"))
            st.success("Downloaded and checked. Loading the model…")
            st.rerun()
        except OSError as e:
            bar.empty()
            st.error(f"The download failed ({e.__class__.__name__}: {e}). This machine seems to be offline: "
                     "download the file elsewhere and copy it to the path above.")
    return True
