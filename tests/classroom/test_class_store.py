"""The class store's contract, run against the in-process store and against Redis: codes, versions, teachers
only, isolation, limits and expiry are the same whichever serves the class."""

import pytest

from cnnviz.classroom.store import CODE_ALPHABET, CODE_LENGTH, ClassroomError, InProcessStore, normalise_code

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["in-process", "redis"])
def make(request):
    """make(clock=…, max_classes=…, idle_expiry_s=…) → a store of the parametrized kind."""
    made = []

    def factory(clock=None, **limits):
        if request.param == "in-process":
            return InProcessStore(clock or Clock(), **limits)
        from cnnviz.classroom.redis_store import RedisStore

        s = RedisStore(request.getfixturevalue("redis_url"), clock=clock or Clock(), **limits)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.shutdown()


def test_a_class_gets_a_short_unambiguous_code_and_starts_at_the_home_page(make):
    s = make()
    code, token = s.open()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) and not set(code) & set("01OI")
    assert s.view(code).page == "start" and s.view(code).version == 0 and token


def test_each_change_of_the_teachers_view_is_a_new_version_and_private_settings_never_travel(make):
    s = make()
    code, token = s.open()
    v1 = s.publish(code, token, "convolution", {"step": "3", "present": "1", "device": "cuda", "class": code})
    assert v1.version == 1 and v1.query() == {"step": "3"}
    assert s.publish(code, token, "convolution", {"step": "3"}).version == 1  # unchanged: same version
    assert s.publish(code, token, "pooling", {}).version == 2
    assert s.view(code).page == "pooling"


def test_only_the_teacher_changes_a_class_and_classes_never_see_each_other(make):
    s = make()
    a, ta = s.open()
    b, tb = s.open()
    s.publish(a, ta, "convolution", {"step": "5"})
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.publish(a, tb, "pooling", {})
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.share_photo(a, tb, b"forged")
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.close(a, tb)
    assert s.view(b).page == "start" and s.view(a).query() == {"step": "5"}
    s.share_photo(a, ta, b"png-a")
    assert s.photo(a) == b"png-a" and s.photo(b) is None


def test_a_server_holds_a_limited_number_of_classes_and_idle_ones_end(make):
    clock = Clock()
    s = make(clock, max_classes=2, idle_expiry_s=60)
    a, ta = s.open()
    s.open()
    with pytest.raises(ClassroomError, match="already runs 2 classes"):
        s.open()
    clock.t += 61
    assert s.view(a) is None  # ended while idle
    s.open()  # room again
    with pytest.raises(ClassroomError, match="has ended"):
        s.publish(a, ta, "pooling", {})


def test_followers_are_the_students_seen_in_the_last_seconds(make):
    clock = Clock()
    s = make(clock)
    code, _ = s.open()
    s.check_in(code, "ann")
    s.check_in(code, "bob")
    s.check_in(code, "ann")
    assert s.followers(code) == 2
    clock.t += 30
    s.check_in(code, "bob")
    assert s.followers(code) == 1


def test_a_shared_photo_is_limited_in_size_and_bumps_the_view(make):
    s = make()
    code, token = s.open()
    before = s.view(code)
    s.share_photo(code, token, b"x" * 100)
    after = s.view(code)
    assert after.version == before.version + 1 and after.photo_version == 1
    assert s.photo(code) == b"x" * 100
    with pytest.raises(ClassroomError, match="at most 4 MB"):
        s.share_photo(code, token, b"x" * (5 * 2**20))
    s.share_photo(code, token, None)
    assert s.photo(code) is None and s.view(code).photo_version == 2


def test_an_ended_class_is_gone_for_everyone_and_only_its_teacher_ends_it(make):
    s = make()
    code, token = s.open()
    s.close(code, token)
    assert s.view(code) is None
    with pytest.raises(ClassroomError, match="has ended"):
        s.publish(code, token, "pooling", {})
    assert s.problem() is None


@pytest.mark.parametrize("typed, code", [("k7mq2", "K7MQ2"), (" K7-MQ2 ", "K7MQ2")])
def test_a_typed_code_is_read_generously(typed, code):
    assert normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7MQ", "K7MQ22", "K0MQ2"])
def test_a_code_that_cannot_be_one_gets_a_message(typed):
    with pytest.raises(ClassroomError, match="a class code is 5 letters"):
        normalise_code(typed)
