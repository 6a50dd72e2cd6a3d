"""The async API client.

    async with SensoriumClient("http://127.0.0.1:8000", store=TokenStore("cache.sqlite3")) as api:
        await api.login("alice", "secret")           # tokens saved in the cache
        sensors = await api.sensors.list()

The session (an access and a refresh JWT) lives in the TokenStore: a client opened later
on the same cache is already signed in. A 401 on a call made with the access token
refreshes it once (the refresh token rotates) and repeats the call; `logout()` blacklists
the refresh token on the server and wipes the cache's session.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sensorium_client.errors import ApiError, AuthenticationFailed, NotSignedIn, ServerUnreachable, error_from_response
from sensorium_client.models import Profile, TokenPair
from sensorium_client.resources import Blinks, Exports, Products, Readings, Sensors
from sensorium_client.store import Session, TokenStore

USER_AGENT = "sensorium-client/0.1"


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class SensoriumClient:
    def __init__(self, base_url: str, *, store: TokenStore | None = None, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else TokenStore(None)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport,
                                       headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._refresh_lock = asyncio.Lock()
        self.sensors = Sensors(self)
        self.readings = Readings(self)
        self.blinks = Blinks(self)
        self.products = Products(self)
        self.exports = Exports(self)

    async def __aenter__(self) -> SensoriumClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- session -----------------------------------------------------------------------

    @property
    def session(self) -> Session | None:
        return self.store.get(self.base_url)

    @property
    def signed_in(self) -> bool:
        return self.session is not None

    async def login(self, username: str, password: str) -> Session:
        body = await self.request("POST", "/api/v1/auth/login", json={"username": username, "password": password},
                                  auth=False)
        pair = TokenPair.model_validate(body)
        return self.store.save(server=self.base_url, username=username, access=pair.access, refresh=pair.refresh)

    async def refresh(self) -> Session:
        """New access (and rotated refresh) token. A refresh token the server refuses ends
        the session: it is wiped and AuthenticationFailed raised."""
        session = self._require_session()
        try:
            body = await self.request("POST", "/api/v1/auth/refresh", json={"refresh": session.refresh}, auth=False)
        except AuthenticationFailed:
            self.store.wipe(self.base_url)
            raise
        pair = TokenPair.model_validate(body)
        self.store.update_tokens(server=self.base_url, access=pair.access, refresh=pair.refresh)
        return self._require_session()

    async def logout(self) -> None:
        """Revoke the session on the server (best effort when it is unreachable) and always
        wipe it locally."""
        session = self.session
        if session is None:
            return
        try:
            await self.request("POST", "/api/v1/auth/logout", json={"refresh": session.refresh}, auth=False,
                               headers={"Authorization": f"Bearer {session.access}"})
        except (ServerUnreachable, ApiError):
            pass
        finally:
            self.store.wipe(self.base_url)

    async def access_token(self) -> str:
        return self._require_session().access

    async def profile(self) -> Profile:
        return Profile.model_validate(await self.request("GET", "/api/v1/user/profile"))

    async def profile_update(self, **fields: Any) -> Profile:
        return Profile.model_validate(await self.request("PATCH", "/api/v1/user/profile", json=fields))

    def _require_session(self) -> Session:
        session = self.session
        if session is None:
            raise NotSignedIn(f"Not signed in to {self.base_url}: log in first.")
        return session

    # --- transport ---------------------------------------------------------------------

    async def send(self, method: str, path: str, *, auth: bool | str = True, stream: bool = False,
                   headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """One request; with `auth=True` a 401 refreshes the session once and repeats it.
        `auth` may also be a device token (`Authorization: Device …`, no refresh).
        Returns the response (open, when `stream`); raises the typed error otherwise."""
        headers = dict(headers or {})
        if isinstance(auth, str):
            headers["Authorization"] = f"Device {auth}"
        used_access = None
        if auth is True:
            used_access = self._require_session().access
            headers["Authorization"] = f"Bearer {used_access}"
        response = await self._raw(method, path, headers, stream, kwargs)
        if response.status_code == 401 and used_access is not None:
            await response.aclose()
            await self._refresh_after_401(used_access)
            headers["Authorization"] = f"Bearer {self._require_session().access}"
            response = await self._raw(method, path, headers, stream, kwargs)
        if response.status_code >= 400:
            if stream:
                await response.aread()
                await response.aclose()
            raise error_from_response(response.status_code, _decode(response), response.headers.get("X-Request-ID"))
        return response

    async def request(self, method: str, path: str, *, ok_statuses: tuple[int, ...] = (), **kwargs: Any) -> Any:
        """`send` and decode the JSON body. `ok_statuses` are error statuses whose body is a
        result rather than an error (ingest's 422 lists every rejected reading)."""
        try:
            response = await self.send(method, path, **kwargs)
        except ApiError as exc:
            if exc.status in ok_statuses:
                return exc.body
            raise
        return _decode(response)

    async def _raw(self, method: str, path: str, headers: dict[str, str], stream: bool,
                   kwargs: dict[str, Any]) -> httpx.Response:
        try:
            request = self._http.build_request(method, path, headers=headers, **kwargs)
            return await self._http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"{self.base_url} unreachable: {exc.__class__.__name__}: {exc}") from exc

    async def _refresh_after_401(self, used_access: str) -> None:
        async with self._refresh_lock:
            # Another call may have refreshed while this one waited for the lock.
            if self._require_session().access == used_access:
                await self.refresh()
