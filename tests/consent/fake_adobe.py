"""A local fake of Adobe's IMS token endpoint and Journey Optimizer's decrypt API.

A real HTTP server on 127.0.0.1 (port 0) in a thread, speaking the documented shapes:
`POST /ims/token/v3` (client credentials, form body) and
`GET /journey/imp/consent/decrypt?params=…&pid=…` (or `?emailParams=…`) with `x-api-key`,
`x-gw-ims-org-id` and `Authorization: Bearer …`. It refuses what Adobe would refuse, and
can be told to fail (500, 401, malformed JSON, hang) or be stopped and started again.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "optout-client-id"
CLIENT_SECRET = "p8e-client-secret-value"
ORG_ID = "ABC123@AdobeOrg"
TOKEN_PATH = "/ims/token/v3"
DECRYPT_PATH = "/journey/imp/consent/decrypt"


def consent_response(
    *, email: str, profile_id: str = "5142733041546020095851529937068211571", level: str = "channel"
) -> dict[str, Any]:
    """The documented decrypt response (including its odd spaces around CRMID)."""
    return {
        "profileNameSpace": " CRMID ",
        "profileId": profile_id,
        "emailAddress": email,
        "emailNameSpace": "Email",
        "sandboxId": "prod-sandbox-id",
        "optOutLevel": level,
        "channelType": "email",
        "timestamp": "2024-11-26T14:25:09.316930Z",
    }


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeAdobe:
    sandbox: str = ""
    pairs: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    # What the next decrypt calls do instead of answering: 500, 401, "malformed", "hang".
    failures: deque[int | str] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == TOKEN_PATH]

    @property
    def decrypt_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == DECRYPT_PATH]

    def add_pair(self, params: str, pid: str, response: dict[str, Any]) -> None:
        self.pairs[(params, pid)] = response

    def add_email_params(self, email_params: str, response: dict[str, Any]) -> None:
        self.pairs[(email_params,)] = response

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # stdlib's name
                pass

            def _answer(self, status: int, body: bytes | dict[str, Any]) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _seen(self, form: dict[str, str]) -> Seen:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                seen = Seen(
                    self.command,
                    parts.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    query,
                    form,
                )
                fake.seen.append(seen)
                return seen

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                seen = self._seen(form)
                if seen.path != TOKEN_PATH:
                    return self._answer(404, {"error": "not_found"})
                if (
                    form.get("grant_type") != "client_credentials"
                    or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                    or "openid" not in form.get("scope", "")
                ):
                    return self._answer(400, {"error": "invalid_client"})
                token = f"token-{len(fake.issued) + 1}"
                fake.issued.append(token)
                return self._answer(
                    200, {"access_token": token, "token_type": "bearer", "expires_in": 86399}
                )

            def do_GET(self) -> None:  # noqa: PLR0911  # one early answer per failure mode
                seen = self._seen({})
                if seen.path != DECRYPT_PATH:
                    return self._answer(404, {"error": "not_found"})
                failure = fake.failures.popleft() if fake.failures else None
                if failure == "hang":
                    fake.release.wait(5)
                    return None
                if failure == "malformed":
                    return self._answer(200, b"<html>gateway error</html>")
                if isinstance(failure, int):
                    return self._answer(failure, {"error_code": str(failure)})
                token = seen.headers.get("authorization", "").removeprefix("Bearer ")
                if token not in fake.issued or token in fake.revoked:
                    return self._answer(401, {"error_code": "401013", "message": "invalid token"})
                if (
                    seen.headers.get("x-api-key") != CLIENT_ID
                    or seen.headers.get("x-gw-ims-org-id") != ORG_ID
                    or seen.headers.get("x-sandbox-name", "") != fake.sandbox
                ):
                    return self._answer(403, {"error_code": "403003", "message": "forbidden"})
                if "emailParams" in seen.query:
                    key: tuple[str, ...] = (seen.query["emailParams"],)
                else:
                    key = (seen.query.get("params", ""), seen.query.get("pid", ""))
                if key not in fake.pairs:
                    return self._answer(400, {"error_code": "400", "message": "cannot decrypt"})
                return self._answer(200, fake.pairs[key])

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        """Down: the port refuses connections until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAdobe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.stop()
