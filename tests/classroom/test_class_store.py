"""The in-process class store: codes, versions, teachers only, isolation, limits and expiry."""

import pytest

from cnnviz.classroom.store import CODE_ALPHABET, CODE_LENGTH, ClassroomError, InProcessStore, normalise_code

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_class_gets_a_short_unambiguous_code_and_starts_at_the_home_page():
    s = InProcessStore()
    code, token = s.open()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) and not set(code) & set("01OI")
    assert s.view(code).page == "start" and s.view(code).version == 0 and token


def test_each_change_of_the_teachers_view_is_a_new_version_and_private_settings_never_travel():
    s = InProcessStore()
    code, token = s.open()
    v1 = s.publish(code, token, "convolution", {"step": "3", "present": "1", "device": "cuda", "class": code})
    assert v1.version == 1 and v1.query() == {"step": "3"}
    assert s.publish(code, token, "convolution", {"step": "3"}).version == 1  # unchanged: same version
    assert s.publish(code, token, "pooling", {}).version == 2


def test_only_the_teacher_changes_a_class_and_classes_never_see_each_other():
    s = InProcessStore()
    a, ta = s.open()
    b, tb = s.open()
    s.publish(a, ta, "convolution", {"step": "5"})
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.publish(a, tb, "pooling", {})
    assert s.view(b).page == "start" and s.view(a).query() == {"step": "5"}
    s.share_photo(a, ta, b"png-a")
    assert s.photo(a) == b"png-a" and s.photo(b) is None


def test_a_server_holds_a_limited_number_of_classes_and_idle_ones_end():
    clock = Clock()
    s = InProcessStore(clock, max_classes=2, idle_expiry_s=60)
    a, ta = s.open()
    s.open()
    with pytest.raises(ClassroomError, match="already runs 2 classes"):
        s.open()
    clock.t += 61
    assert s.view(a) is None  # ended while idle
    s.open()  # room again
    with pytest.raises(ClassroomError, match="has ended"):
        s.publish(a, ta, "pooling", {})


def test_followers_are_the_students_seen_in_the_last_seconds():
    clock = Clock()
    s = InProcessStore(clock)
    code, _ = s.open()
    s.check_in(code, "ann")
    s.check_in(code, "bob")
    s.check_in(code, "ann")
    assert s.followers(code) == 2
    clock.t += 30
    s.check_in(code, "bob")
    assert s.followers(code) == 1


def test_a_shared_photo_is_limited_in_size_and_bumps_the_view():
    s = InProcessStore()
    code, token = s.open()
    before = s.view(code)
    s.share_photo(code, token, b"x" * 100)
    after = s.view(code)
    assert after.version == before.version + 1 and after.photo_version == 1
    with pytest.raises(ClassroomError, match="at most 4 MB"):
        s.share_photo(code, token, b"x" * (5 * 2**20))


@pytest.mark.parametrize("typed, code", [("k7mq2", "K7MQ2"), (" K7-MQ2 ", "K7MQ2")])
def test_a_typed_code_is_read_generously(typed, code):
    assert normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7MQ", "K7MQ22", "K0MQ2"])
def test_a_code_that_cannot_be_one_gets_a_message(typed):
    with pytest.raises(ClassroomError, match="a class code is 5 letters"):
        normalise_code(typed)
