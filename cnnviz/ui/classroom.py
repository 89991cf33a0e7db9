"""Follow the teacher, in the app: the Class panel, the teacher's publishing and the students' following.

The teacher's view is the page's own link (every page is a faithful link), so following is:
notice a new version, forget this session's page state, open the teacher's link. Students check
about once a second from a small fragment that reads the store's in-memory view (no page work, and
in a hall no Redis round trip, when nothing changed). When only a stepper's step changed, just that
stepper's fragment reruns — not the whole page. A reconnecting student's URL still carries
`class=CODE`, so they follow again at once, on whichever replica they land.

The teacher's secret never travels in a link: the teacher's browser keeps it in a cookie, so a teacher
whose replica died (or who reloads) resumes the class with one click.
"""

from __future__ import annotations

import io
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import streamlit as st
from PIL import Image

from cnnviz.classroom.store import (
    PRIVATE_PARAMS,
    ClassroomError,
    ClassroomUnavailable,
    View,
    changed_keys,
    normalise_code,
    store,
)
from cnnviz.grids.questions import question_from_dict
from cnnviz.pagemap import HOME, by_url
from cnnviz.present.render import png_bytes
from cnnviz.ui.address_bar import set_param
from cnnviz.ui.session import is_lasting, lasting
from cnnviz.urlstate import is_class_index

if TYPE_CHECKING:
    from cnnviz.ui.page import StepState

STATE = lasting("_class")  # this session's role: {"role": "teacher"|"student", "code", "token" | "id", "follow", "seen"}
PAGE = lasting("_class_page")  # the page this session is on (url path), as the class knows it
URL_READ = lasting("_class_url_read")  # the link's class= was read (once per session)
SIDEBAR_START = lasting("_sidebar_start")  # how the sidebar opened (app.py: the projector's starts collapsed)
POLL_S = 0.75  # students see a change within about this long (a check when nothing changed draws nothing)
STEPPERS = "_class_steppers"  # {page url: {link key: (fragment key, its StepState)}}: followed without a page run
TEACHER_COOKIE = "cnnviz_teacher"  # "CODE.TOKEN" in the teacher's browser only (never in a link)


def current_page() -> str:
    """The page this session is on (its url path, "" before its first run), as the class knows it."""
    return str(st.session_state.get(PAGE, ""))


def following() -> bool:
    """This session is a student following the teacher (not exploring on their own)."""
    s = st.session_state.get(STATE) or {}
    return s.get("role") == "student" and bool(s.get("follow"))


def state() -> dict:
    return st.session_state.setdefault(STATE, {})


def _page_file(url_path: str) -> str:
    info = by_url(url_path) if url_path not in ("", "start") else HOME
    return f"pages/{(info or HOME).file}"


def join_link(code: str) -> str:
    """The address students open: this server's, with the class code (the teacher's own address as seen here)."""
    return f"{base_url()}/?class={code}"


def base_url() -> str:
    """This server's address as the browser reached it ("" when unknown, e.g. in tests)."""
    parts = urlsplit(str(getattr(st.context, "url", "") or ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


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
    try:
        if store().view(code) is None:
            st.toast(f"There is no class {code} on this server (ended, or a typo).", icon=":material/error:")
            return
    except ClassroomUnavailable:
        pass  # joined anyway: the banner says why nothing follows yet, and following starts when the store is back
    st.session_state[STATE] = {"role": "student", "code": code, "id": secrets.token_hex(6), "follow": True,
                               "seen": -1}


def join_from_url() -> None:
    """First run of a session whose link says class=CODE: follow that class."""
    if URL_READ in st.session_state:
        return
    st.session_state[URL_READ] = True
    code = st.query_params.get("class")
    if code and is_class_index(code):  # an old page link's explained class: pages now read it as `cls`
        set_param("class", None)
        if "cls" not in st.query_params:
            set_param("cls", code)
    elif code and not state():
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
    b.image(qr_png(link), alt="QR code of the class link: scan it to follow", caption="Scan to follow", width=300)


def _teacher_cookie() -> tuple[str, str] | None:
    """(code, token) this browser taught with, if it still names a live class."""
    try:
        raw = str(st.context.cookies.get(TEACHER_COOKIE) or "")
    except Exception:  # noqa: BLE001 - no cookies outside a browser (AppTest)
        raw = ""
    code, _, token = raw.partition(".")
    if not token or st.session_state.get("_class_cookie_dropped") == code:
        return None
    try:
        return (code, token) if store().view(normalise_code(code)) is not None else None
    except ClassroomError:
        return None


def _set_cookie(value: str | None) -> None:
    """Remember (or forget) the teacher's secret in this browser: a cookie for this site only, for 3 hours."""
    age = 3 * 3600 if value else 0
    st.html(f"<script>document.cookie = '{TEACHER_COOKIE}={value or ''}; path=/; max-age={age}; SameSite=Strict';"
            "</script>", unsafe_allow_javascript=True)


def _resume(code: str, token: str) -> None:
    st.session_state[STATE] = {"role": "teacher", "code": code, "token": token}
    publish()


def resume_offer() -> None:
    """A teacher whose session is new (a replica died, a reload) sees one button that resumes the class."""
    if state():
        return
    found = _teacher_cookie()
    if found is None:
        return
    code, token = found
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.info(f"You were teaching class **{code}** in this browser.", icon=":material/co_present:")
    if b.button("Resume teaching", icon=":material/play_arrow:", key="class_resume", type="primary"):
        _resume(code, token)
        st.rerun()


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
                st.session_state[STATE] = {"role": "teacher", "code": code, "token": token, "cookie": True}
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
    if s.pop("cookie", False):
        _set_cookie(f"{code}.{s['token']}")
    st.markdown(f"Teaching class **{code}**")
    _followers(code)
    if st.button("Show the code to the class", icon=":material/qr_code_2:", key="class_show"):
        _show_code(code)
    photo = st.session_state.get("_class_last_upload")
    if photo is not None and st.button("Share the photo I uploaded", icon=":material/share:", key="class_share",
                                       help="Uploads stay yours unless you share one."):
        try:
            store().share_photo(code, s["token"], _photo_png(photo))
            st.toast("Your photo is shared with the class.", icon=":material/share:")
        except ClassroomError as e:
            st.error(str(e))
    try:
        if store().photo(code) is not None and st.button("Stop sharing the photo", key="class_unshare"):
            store().share_photo(code, s["token"], None)
    except ClassroomUnavailable:
        pass  # said by the followers line above
    _pause_and_spotlight(s)
    if st.button("End the class", icon=":material/logout:", key="class_end"):
        try:
            store().close(code, s["token"])
        except ClassroomUnavailable as e:
            st.error(str(e))
            return
        except ClassroomError:
            pass
        st.session_state[STATE] = {}
        st.session_state["_class_cookie_dropped"] = code
        _set_cookie(None)
        st.rerun()


@st.fragment(run_every=3)
def _followers(code: str) -> None:
    """Who follows, and the store's health. The teacher's view is sent again from here every few seconds: a view
    the store could not take, or a class a restarted Redis lost, comes back by itself (one script per teacher)."""
    publish()
    try:
        st.caption(f"{store().followers(code)} student(s) following")
    except ClassroomUnavailable as e:
        st.warning(str(e), icon=":material/cloud_off:")


def _photo_png(photo: tuple[np.ndarray, str]) -> bytes:
    """A class member's upload as the PNG that travels (shared with the class, or with a spotlight)."""
    return png_bytes(Image.fromarray(np.asarray(photo[0], dtype=np.uint8)))


def class_view() -> View | None:
    """The view of the class this session is in (None: in no class, or the class store is unreachable)."""
    s = state()
    if not s:
        return None
    try:
        return store().view(s["code"])
    except ClassroomUnavailable:
        return None


def class_poll() -> dict | None:
    """The class's question, open or revealed (None: none, or this session is in no class)."""
    view = class_view()
    return view.poll if view is not None else None


def open_question_key() -> str | None:
    """The key of the class's unrevealed question (None when there is none, or this session is in no class)."""
    poll = class_poll()
    if not poll or poll.get("revealed"):
        return None
    return question_from_dict(poll["question"]).key


def set_extra(**changes) -> None:
    """Change the class-wide state (question, pause) from the teacher's session, keeping what else is there."""
    s = state()
    view = class_view()
    extra = {**(view.extras if view else {}), **changes}  # the question, the pause, the lesson
    try:
        store().set_extra(s["code"], s["token"], extra)
    except ClassroomError as e:
        st.error(str(e))


def _pause_and_spotlight(s: dict) -> None:
    """Pause following (students explore; nothing is pushed until Resume) and the queue of views students offered."""
    try:
        view = store().view(s["code"])
        offers = store().offers(s["code"], s["token"])
    except ClassroomError:
        return  # said by the followers line
    paused = bool(view and view.paused)
    if st.button("Resume following" if paused else "Pause following", key="class_pause",
                 icon=":material/play_circle:" if paused else ":material/pause_circle:",
                 help="Paused, students keep their view and may explore; your moves reach them again on Resume."):
        set_extra(paused=not paused)
        st.rerun()
    if paused:
        st.caption("Following is paused.")
    if offers:
        st.markdown("**Views offered to you**")
    for o in offers[:8]:
        page = by_url(o.page)
        a, b, c = st.columns([3, 2, 2], vertical_alignment="center")
        a.markdown(f"{o.label}: {page.title if page else 'Home'}" + (" (with a photo)" if o.has_photo else ""))
        if b.button("Open", key=f"class_open_{o.number}", help="Show this view here (and on the projector)"):
            _open_offer(s, o)
        if c.button("Dismiss", key=f"class_dismiss_{o.number}"):
            store().dismiss(s["code"], s["token"], o.number)
            st.rerun()


def _open_offer(s: dict, offer) -> None:
    """The teacher's page becomes the student's offered view; their photo, if they sent it, is shown with it."""
    st.session_state.pop("_spotlight_photo", None)
    if offer.has_photo:
        png = store().offer_photo(s["code"], s["token"], offer.number)
        if png is not None:
            from cnnviz.images import load_image

            st.session_state["_spotlight_photo"] = (load_image(png, "offered photo"),
                                                    f"spotlight-{offer.number}", offer.label)
    keep = {k: st.query_params[k] for k in PRIVATE_PARAMS if k in st.query_params}
    st.switch_page(_page_file(offer.page), query_params={**dict(offer.params), **keep})


def _student_controls(s: dict) -> None:
    st.markdown(f"Class **{s['code']}**: " + ("following the teacher" if s["follow"] else "exploring on your own"))
    photo = st.session_state.get("_class_last_upload")
    with_photo = photo is not None and st.checkbox("include my photo", key="class_offer_photo",
                                                   help="Your uploaded photo travels only if you tick this.")
    if st.button("Show my view to the teacher", icon=":material/present_to_all:", key="class_offer",
                 help="Your teacher sees it in a queue (as 'Student N', no name) and may open it on the projector."):
        png = _photo_png(photo) if with_photo and photo else None
        try:
            n = store().offer(s["code"], s["id"], current_page() or "start",
                              {k: st.query_params[k] for k in st.query_params}, png)
            st.toast(f"Your view is offered to the teacher (as Student {n}).", icon=":material/present_to_all:")
        except ClassroomError as e:
            st.error(str(e))
    if st.button("Leave the class", icon=":material/logout:", key="class_leave"):
        st.session_state[STATE] = {}
        if "class" in st.query_params:
            set_param("class", None)
        st.rerun()


def banner() -> None:
    """Students see at the top of every page whether they follow, and can explore on their own or rejoin."""
    s = state()
    if not s:
        resume_offer()
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


def _step_only(s: dict, view) -> dict[str, tuple[str, StepState]] | None:
    """{link key: (fragment key, the stepper's state)} to update when the teacher's new view differs from the one this
    student has applied only in steppers' steps and speeds on the page they are on; None otherwise."""
    changed = changed_keys(s.get("applied"), view) if current_page() == view.page else None
    steppers = st.session_state.get(STEPPERS, {}).get(view.page, {})
    if not changed or not changed <= steppers.keys():
        return None
    return {k: steppers[k] for k in changed}


def _in_full_run() -> bool:
    """This run draws the whole page (not only a timer's fragment)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and not ctx.fragment_ids_this_run


def _rerun_fragments(keys: list[str]) -> bool:
    """Rerun just these fragments (by their st.fragment key) from inside another fragment's run; False when they
    are not on this page now (the caller then runs the whole page).

    Streamlit's public `st.rerun(keys)` is allowed only in widget callbacks; a follower's check is a timer's
    fragment run, so the same request is made here through the script runner (Streamlit is pinned)."""
    from streamlit.errors import StreamlitAPIException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or ctx.script_requests is None:
        return False
    try:
        ids = ctx.fragment_storage.resolve_target(keys)
    except StreamlitAPIException:
        return False
    ctx.script_requests.request_rerun(RerunData(
        query_string=ctx.query_string, page_script_hash=ctx.page_script_hash, fragment_id_queue=ids,
        is_fragment_scoped_rerun=True, cached_message_hashes=ctx.cached_message_hashes,
        context_info=ctx.context_info))  # runs as soon as this check ends
    return True


def _apply_steps(view, steps: dict[str, tuple[str, StepState]]) -> bool:
    """Put the teacher's steps (and speeds) into this student's steppers and rerun just those; False if it can't."""
    try:
        values = {k: float(view.query()[k]) for k in steps}
    except ValueError:
        return False
    for k, (_, target) in steps.items():
        if k == "speed" or k.endswith("_speed"):
            target["speed"] = 0.5 if values[k] == 0.5 else int(values[k])
        else:
            target["step"], target["playing"] = int(values[k]), False
    if view.lesson or state().get("lesson_shown"):
        return False  # a lesson's note may have moved with the step: the page runs again
    return _in_full_run() or _rerun_fragments(sorted({frag for frag, _ in steps.values()}))


def _switch_lost(s: dict, view: View) -> bool:
    """This follower applied the class's view (its page switch was asked for) but is still on another page: a
    switch asked from a check can be lost on a loaded server, and nothing would ask again until the next change."""
    return (not _in_full_run() and s.get("applied") == (view.page, view.params)
            and _page_file(current_page()) != _page_file(view.page))


def _redraw_lost_steps() -> None:
    """Ask again for the redraw of a stepper whose teacher's step is set but not drawn: a fragment run asked from
    a check can be lost on a loaded server, and the student would stay a step behind until the next change."""
    steppers = st.session_state.get(STEPPERS, {}).get(current_page(), {})
    behind = sorted({frag for frag, store in steppers.values() if store.drawn not in (None, store.step)})
    if behind and not _in_full_run():
        _rerun_fragments(behind)


@st.fragment(run_every=POLL_S)
def _follow() -> None:
    s = state()
    if s.get("role") != "student" or not s.get("follow"):
        return
    problem = store().problem()
    if problem:  # drawn by this check itself: it appears and goes without a page run
        st.warning(problem, icon=":material/cloud_off:")
    try:
        view = store().view(s["code"])
    except ClassroomUnavailable:
        return  # said above; the next check tries again
    if view is None:
        st.session_state[STATE] = {}
        st.toast(f"Class {s['code']} has ended.", icon=":material/logout:")
        st.rerun()
    store().check_in(s["code"], s["id"])
    if view.paused:  # the student keeps their view and explores; the teacher's view is applied on Resume
        st.info("Your teacher has paused following: explore on your own. You follow again when they resume.",
                icon=":material/pause_circle:")
        s["seen"], s["applied"] = view.version, None
        return
    if view.version == s["seen"]:
        if _switch_lost(s, view):  # asked for and never made (a loaded server): asked again, once per check
            open_link(view.page, view.query(), s["code"])
        _redraw_lost_steps()
        return
    s["seen"] = view.version
    if s.get("applied") == (view.page, view.params) and current_page() == view.page:
        # only the class's question changed: the steppers on this page redraw it (no page run)
        if _in_full_run():
            return  # a full run draws the page with the new state anyway
        if view.lesson or s.get("lesson_shown"):
            st.rerun()  # a lesson's note and question are the page's: it runs again with them
        frags = sorted({frag for frag, _ in st.session_state.get(STEPPERS, {}).get(view.page, {}).values()})
        if not frags or _rerun_fragments(frags):
            return
    steps = _step_only(s, view)
    s["applied"] = (view.page, view.params)
    if steps and _apply_steps(view, steps):  # only the step moved: that stepper's fragment reruns with it
        return
    open_link(view.page, view.query(), s["code"])


def open_link(page: str, params: dict[str, str], code: str | None) -> None:
    """Open a page at a link, afresh: every page's state is dropped so the link is read again (the session's own
    settings, networks, runs and class stay); this person's own settings travel on."""
    for key in [k for k in st.session_state if not is_lasting(k)]:
        del st.session_state[key]
    own = {k: st.query_params[k] for k in PRIVATE_PARAMS if k in st.query_params and k != "class"}
    st.switch_page(_page_file(page), query_params={**params, **own, **({"class": code} if code else {})})


def publish(page_url: str | None = None) -> None:
    """The teacher's session tells the class where it is (after each run, and after each step of a stepper)."""
    s = state()
    if s.get("role") != "teacher":
        return
    page = page_url if page_url is not None else current_page()
    try:
        store().publish(s["code"], s["token"], page or "start", {k: st.query_params[k] for k in st.query_params})
    except ClassroomUnavailable:
        pass  # the teacher keeps teaching; the Class panel sends the view again every few seconds
    except ClassroomError as e:
        st.session_state[STATE] = {}
        st.toast(str(e), icon=":material/logout:")


def remember_page(url_path: str) -> None:
    st.session_state[PAGE] = url_path or "start"


def shared_photo() -> tuple[np.ndarray, str] | None:
    """The teacher's shared photo, for a student who follows; a spotlighted student's photo, for the teacher."""
    s = state()
    if s.get("role") == "teacher" and "_spotlight_photo" in st.session_state:
        arr, pid, label = st.session_state["_spotlight_photo"]
        st.caption(f"Showing {label}'s photo (their spotlight).")
        if st.button("Back to my own photo", key="class_spotlight_off"):
            st.session_state.pop("_spotlight_photo", None)
            st.rerun()
        return arr, pid
    if s.get("role") != "student" or not s.get("follow"):
        return None
    try:
        png = store().photo(s["code"])
    except ClassroomUnavailable:
        return None
    if png is None:
        return None
    from cnnviz.images import load_image

    st.caption("Showing the photo your teacher shared with the class.")
    return load_image(png, "class photo"), f"class-{s['code']}-{len(png)}"


def note_upload(photo: tuple[np.ndarray, str]) -> None:
    """A class member's upload may travel later, only when they choose: a teacher's Share, a student's ticked
    "include my photo". (Kept in this session's memory, like every upload.)"""
    if state():
        st.session_state["_class_last_upload"] = photo
