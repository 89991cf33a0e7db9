"""Follow the teacher, in the app: the Class panel, the teacher's publishing and the students' following.

The teacher's view is the page's own link (every page is a faithful link), so following is:
notice a new version, forget this session's page state, open the teacher's link. Students check
about once a second from a small fragment; a reconnecting student's URL still carries
`class=CODE`, so they follow again at once.
"""

from __future__ import annotations

import io
import secrets
from urllib.parse import urlsplit

import numpy as np
import streamlit as st
from PIL import Image

from cnnviz.classroom.store import PRIVATE_PARAMS, ClassroomError, normalise_code, store
from cnnviz.pagemap import HOME, by_url
from cnnviz.present.render import png_bytes

STATE = "_class"  # this session's role: {"role": "teacher"|"student", "code", "token" | "id", "follow", "seen"}
KEEP = {"present", "device", "_settings_init", "_settings_notices", STATE, "_class_page", "_class_url_read",
        "_sidebar_start"}  # kept when following
POLL_S = 1.0  # students see a change within about this long (plus one page run)


def state() -> dict:
    return st.session_state.setdefault(STATE, {})


def _page_file(url_path: str) -> str:
    info = by_url(url_path) if url_path not in ("", "start") else HOME
    return f"pages/{(info or HOME).file}"


def join_link(code: str) -> str:
    """The address students open: this server's, with the class code (the teacher's own address as seen here)."""
    url = str(getattr(st.context, "url", "") or "")
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{base}/?class={code}"


def qr_png(text: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=10, border=2, dark="#000000", light="#FFFFFF")
    return buf.getvalue()


def _join(code_text: str) -> None:
    try:
        code = normalise_code(code_text)
    except ClassroomError as e:
        st.toast(str(e), icon=":material/error:")
        return
    if store().view(code) is None:
        st.toast(f"There is no class {code} on this server (ended, or a typo).", icon=":material/error:")
        return
    st.session_state[STATE] = {"role": "student", "code": code, "id": secrets.token_hex(6), "follow": True,
                               "seen": -1}


def join_from_url() -> None:
    """First run of a session whose link says class=CODE: follow that class."""
    if "_class_url_read" in st.session_state:
        return
    st.session_state["_class_url_read"] = True
    code = st.query_params.get("class")
    if code and not state():
        _join(code)


@st.dialog("Join this class", width="large")
def _show_code(code: str) -> None:
    link = join_link(code)
    a, b = st.columns([3, 2], vertical_alignment="center")
    a.markdown(f"<div style='font-size:4.5rem;font-weight:700;letter-spacing:0.3rem'>{code}</div>",
               unsafe_allow_html=True)
    a.markdown(f"Open **{link}** — or type the code in the sidebar's **Class** panel.")
    if "127.0.0.1" in link or "localhost" in link:
        a.warning("This address only works on this computer: start the server with "
                  "`python -m cnnviz serve --address 0.0.0.0` and use this machine's network address.",
                  icon=":material/lan:")
    b.image(qr_png(link), caption="Scan to follow", width=300)


def panel() -> None:
    """The sidebar's Class panel: start or join a class; the teacher's code, link and controls."""
    s = state()
    with st.sidebar.expander("Class", icon=":material/groups:", expanded=bool(s)):
        if not s:
            if st.button("Start a class", icon=":material/co_present:", key="class_start",
                         help="Students who join see your page, settings and step within about a second."):
                try:
                    code, token = store().open()
                except ClassroomError as e:
                    st.error(str(e))
                    return
                st.session_state[STATE] = {"role": "teacher", "code": code, "token": token}
                st.rerun()
            typed = st.text_input("Class code", key="class_code_in", placeholder="e.g. K7MQ2", max_chars=12)
            if st.button("Join", key="class_join", icon=":material/login:"):
                _join(typed)
                st.rerun()
            return
        if s["role"] == "teacher":
            _teacher_controls(s)
        else:
            _student_controls(s)


def _teacher_controls(s: dict) -> None:
    code = s["code"]
    st.markdown(f"Teaching class **{code}**")
    _followers(code)
    if st.button("Show the code to the class", icon=":material/qr_code_2:", key="class_show"):
        _show_code(code)
    photo = st.session_state.get("_class_last_upload")
    if photo is not None and st.button("Share the photo I uploaded", icon=":material/share:", key="class_share",
                                       help="Uploads stay yours unless you share one."):
        try:
            store().share_photo(code, s["token"], png_bytes(Image.fromarray(np.asarray(photo[0], dtype=np.uint8))))
            st.toast("Your photo is shared with the class.", icon=":material/share:")
        except ClassroomError as e:
            st.error(str(e))
    if store().photo(code) is not None and st.button("Stop sharing the photo", key="class_unshare"):
        store().share_photo(code, s["token"], None)
    if st.button("End the class", icon=":material/logout:", key="class_end"):
        try:
            store().close(code, s["token"])
        except ClassroomError:
            pass
        st.session_state[STATE] = {}
        st.rerun()


@st.fragment(run_every=3)
def _followers(code: str) -> None:
    st.caption(f"{store().followers(code)} student(s) following")


def _student_controls(s: dict) -> None:
    st.markdown(f"Class **{s['code']}**: " + ("following the teacher" if s["follow"] else "exploring on your own"))
    if st.button("Leave the class", icon=":material/logout:", key="class_leave"):
        st.session_state[STATE] = {}
        if "class" in st.query_params:
            del st.query_params["class"]
        st.rerun()


def banner() -> None:
    """Students see at the top of every page whether they follow, and can explore on their own or rejoin."""
    s = state()
    if s.get("role") != "student":
        return
    a, b = st.columns([4, 1], vertical_alignment="center")
    if s["follow"]:
        a.info(f"Following class **{s['code']}**: this page follows your teacher's.", icon=":material/cast_for_education:")
        if b.button("Explore on my own", icon=":material/explore:", key="class_detach"):
            s["follow"] = False
            st.rerun()
    else:
        a.warning(f"Exploring on your own (class **{s['code']}**).", icon=":material/explore:")
        if b.button("Follow the teacher", icon=":material/cast_for_education:", key="class_rejoin"):
            s["follow"], s["seen"] = True, -1
            st.rerun()
    _follow()


@st.fragment(run_every=POLL_S)
def _follow() -> None:
    s = state()
    if s.get("role") != "student" or not s.get("follow"):
        return
    view = store().view(s["code"])
    if view is None:
        st.session_state[STATE] = {}
        st.toast(f"Class {s['code']} has ended.", icon=":material/logout:")
        st.rerun()
    store().check_in(s["code"], s["id"])
    if view.version == s["seen"]:
        return
    s["seen"] = view.version
    for key in [k for k in st.session_state if k not in KEEP and not str(k).startswith("class_")]:
        del st.session_state[key]  # every page starts afresh from the teacher's link
    own = {k: st.query_params[k] for k in PRIVATE_PARAMS if k in st.query_params and k != "class"}
    st.switch_page(_page_file(view.page), query_params={**view.query(), **own, "class": s["code"]})


def publish(page_url: str | None = None) -> None:
    """The teacher's session tells the class where it is (after each run, and after each step of a stepper)."""
    s = state()
    if s.get("role") != "teacher":
        return
    page = page_url if page_url is not None else st.session_state.get("_class_page", "start")
    try:
        store().publish(s["code"], s["token"], page or "start", {k: st.query_params[k] for k in st.query_params})
    except ClassroomError as e:
        st.session_state[STATE] = {}
        st.toast(str(e), icon=":material/logout:")


def remember_page(url_path: str) -> None:
    st.session_state["_class_page"] = url_path or "start"


def shared_photo() -> tuple[np.ndarray, str] | None:
    """The teacher's shared photo, for a student who follows (None otherwise)."""
    s = state()
    if s.get("role") != "student" or not s.get("follow"):
        return None
    png = store().photo(s["code"])
    if png is None:
        return None
    from cnnviz.images import load_image

    return load_image(png, "class photo"), f"class-{s['code']}-{len(png)}"


def note_upload(photo: tuple[np.ndarray, str]) -> None:
    """A teacher's upload may be shared later (only when they press Share)."""
    if state().get("role") == "teacher":
        st.session_state["_class_last_upload"] = photo
