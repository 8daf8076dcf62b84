"""A `requests` session that never waits forever (pylti1p3 sets no timeouts itself)."""

from __future__ import annotations

from typing import Any

import requests

USER_AGENT = "peerlearn-lti/1.0"


class TimeoutSession(requests.Session):
    def __init__(self, timeout: float = 10.0) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)
