"""The classroom tests start real servers like the browser tests do, and a real redis-server of their own."""

import pytest

from tests.browser.conftest import artifacts, browser, fresh_server  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A redis-server on a free loopback port in a temporary directory (Debian's package), stopped afterwards."""
    from cnnviz.classroom.hall import HallError, LocalRedis

    try:
        r = LocalRedis(tmp_path_factory.mktemp("redis")).start()
    except HallError as e:
        import os

        if os.environ.get("CI"):
            pytest.fail(f"{e} (scripts/test.sh installs it)")
        pytest.skip(str(e))
    yield r
    r.stop()


@pytest.fixture
def redis_url(redis_server):
    """The shared test Redis, emptied for each test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url
