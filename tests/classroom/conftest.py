"""The classroom tests start real servers like the browser tests do."""

from tests.browser.conftest import artifacts, fresh_server  # noqa: F401  (fixtures)
