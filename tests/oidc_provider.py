"""A real OpenID Connect provider for the tests, built with authlib's server components.

Flask app on a free loopback port, in a thread of the test process: discovery document,
authorization endpoint (login form and consent page, the code grant with PKCE and nonce),
token endpoint, JWKS, userinfo, and RP-initiated logout. Its RSA key is made for the run.

`faults` makes the token endpoint misbehave the way a broken or hostile provider (or a
man in the middle) would: the ID token is altered after signing, issued for another
audience, already expired, for another nonce or issuer, or carries only `sub`.
"""

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, redirect, render_template_string, request, session
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.servers import free_port

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Test ID</title>
<style>body{font:16px system-ui;max-width:420px;margin:3rem auto}label,input,button{display:block;margin:.5rem 0}
button{padding:.5rem 1rem}</style></head><body><h1>Test ID</h1><h2>{{ title }}</h2>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}<form method="post">{{ body|safe }}</form></body></html>"""
LOGIN_FORM = """<label for="u">Email or username</label><input id="u" name="username" required>
<label for="p">Password</label><input id="p" name="password" type="password" required>
<button type="submit">Continue</button>"""
CONSENT_FORM = """<p>{client} asks to know who you are ({scope}). You are {username}.</p>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>"""


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    # RFC 8252 §7.3: a native client's loopback redirect may use any port.
    loopback_any_port: bool = False

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.post_logout_redirect_uris}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(item for item in scope.split() if item in ("openid", "email", "profile", "groups"))

    def check_redirect_uri(self, redirect_uri):
        if redirect_uri in self.redirect_uris:
            return True
        if not self.loopback_any_port:
            return False
        asked = urlsplit(redirect_uri)
        return asked.scheme == "http" and asked.hostname == "127.0.0.1" and any(
            urlsplit(uri)._replace(netloc="") == asked._replace(netloc="") for uri in self.redirect_uris)

    def check_client_secret(self, client_secret):
        return bool(self.client_secret) and secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "none" if not self.client_secret else method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return ["pwd"]


@dataclass
class IssuedToken:
    client: Client
    username: str
    scope: str
    expires_at: float

    def check_client(self, client):
        return client.get_client_id() == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() > self.expires_at

    def is_revoked(self):
        return False

    def get_user(self):
        return self.username

    def get_client(self):
        return self.client


class TestProvider:
    """`with TestProvider() as provider:` serves until the block ends (or `stop()`)."""

    def __init__(self, *, end_session: bool = True):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig", "alg": "RS256"},
                                       private=True)
        self.end_session = end_session
        self.clients: dict[str, Client] = {}
        self.users: dict[str, dict] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.faults: set[str] = set()
        self.ended_sessions: list[dict] = []
        self.token_requests = 0
        self.app = self._app()
        self._server = None
        self._thread = None

    # --- set-up ------------------------------------------------------------------------
    def client_add(self, client_id: str, client_secret: str, redirect_uris: list[str], *,
                   post_logout_redirect_uris: list[str] = (), loopback_any_port: bool = False) -> Client:
        client = Client(client_id, client_secret, list(redirect_uris), list(post_logout_redirect_uris),
                        loopback_any_port)
        self.clients[client_id] = client
        return client

    def user_add(self, username: str, password: str, **claims) -> dict:
        claims.setdefault("sub", f"sub-{secrets.token_hex(6)}")
        self.users[username] = {"password": password, **claims}
        return self.users[username]

    def start(self) -> "TestProvider":
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines in the test output
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- a person's browser, for tests that need no real one -----------------------------
    def browser_authorize(self, authorization_url: str, *, username: str, password: str,
                          decision: str = "allow") -> str:
        """Sign in at the provider and answer its consent page; return where it redirects."""
        browser = requests.Session()
        login_page = browser.get(authorization_url, timeout=10)  # → the provider's login form
        signed_in = browser.post(login_page.url, data={"username": username, "password": password},
                                 allow_redirects=False, timeout=10)
        assert signed_in.status_code == 302, f"provider login failed: {signed_in.status_code}"
        consent = browser.get(urljoin(login_page.url, signed_in.headers["Location"]), allow_redirects=False,
                              timeout=10)
        if consent.status_code == 302:  # an authorization error goes straight back to the client
            return consent.headers["Location"]
        assert consent.status_code == 200, f"provider refused the request: {consent.text[:300]}"
        answer = browser.post(consent.url, data={"decision": decision}, allow_redirects=False, timeout=10)
        return answer.headers["Location"]

    # --- the provider --------------------------------------------------------------------
    def _user_info(self, username: str, scope: str) -> UserInfo:
        person = self.users[username]
        claims = dict(UserInfo(person).filter(scope), sub=person["sub"])
        if "groups" in scope.split() and "groups" in person:
            claims["groups"] = person["groups"]
        return UserInfo(claims)

    def _app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.secret_key = secrets.token_hex(16)
        # Loopback cookies ignore the port: keep clear of Sensorium's own session cookie.
        app.config["SESSION_COOKIE_NAME"] = "test_provider_session"

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            def save_authorization_code(self, code, oauth_request):
                data = oauth_request.payload.data
                provider.codes[code] = AuthorizationCode(
                    code=code, client_id=oauth_request.client.client_id,
                    redirect_uri=oauth_request.payload.redirect_uri, scope=oauth_request.scope,
                    username=oauth_request.user, nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
                    auth_time=int(time.time()), expires_at=time.time() + 300)

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                if item and item.client_id == client.client_id and item.expires_at > time.time():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.username

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, oauth_request):
                return any(item.nonce == nonce for item in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": provider.key.kid}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.client_id], "exp": int(time.time()) + 600}

            def generate_user_info(self, user, scope):
                return provider._user_info(user, scope)

        class UserInfoApi(UserInfoEndpoint):
            def get_issuer(self):
                return provider.issuer

            def generate_user_info(self, user, scope):
                return provider._user_info(user, scope)

        class TokenValidator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        class EndSession(EndSessionEndpoint):
            def get_server_jwks(self):
                return {"keys": [provider.key.as_dict(private=False)]}

            def end_session(self, end_session_request):
                provider.ended_sessions.append(dict(end_session_request.id_token_claims or {}))
                session.clear()

        def token_save(token, oauth_request):
            provider.tokens[token["access_token"]] = IssuedToken(oauth_request.client, oauth_request.user,
                                                                 token.get("scope", ""), time.time() + 3600)

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=token_save)
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])
        protector = ResourceProtector()
        protector.register_token_validator(TokenValidator())
        server.register_endpoint(UserInfoApi(resource_protector=protector))
        server.register_endpoint(EndSession)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            document = {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
                "userinfo_endpoint": f"{provider.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile", "groups"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "email", "email_verified", "name", "preferred_username", "groups"],
            }
            if provider.end_session:
                document["end_session_endpoint"] = f"{provider.issuer}/logout"
            return document

        @app.get("/jwks")
        def jwks():
            return {"keys": [provider.key.as_dict(private=False)]}

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            username = session.get("username")
            if not username:
                return redirect(f"/login?next={requests.utils.quote(request.full_path, safe='')}")
            try:
                grant = server.get_consent_grant(end_user=username)
            except OAuth2Error as error:
                return server.handle_error_response(request, error)
            if request.method == "GET":
                body = CONSENT_FORM.format(client=grant.client.client_id, scope=grant.request.payload.scope,
                                           username=username)
                return render_template_string(PAGE, title="Allow access?", body=body, error="")
            grant_user = username if request.form.get("decision") == "allow" else None
            return server.create_authorization_response(grant_user=grant_user, grant=grant)

        @app.route("/login", methods=["GET", "POST"])
        def login():
            error = ""
            if request.method == "POST":
                person = provider.users.get(request.form.get("username", ""))
                if person and secrets.compare_digest(person["password"], request.form.get("password", "")):
                    session["username"] = request.form["username"]
                    return redirect(request.args.get("next") or "/")
                error = "Wrong username or password."
            return render_template_string(PAGE, title="Sign in", body=LOGIN_FORM, error=error)

        @app.post("/token")
        def token():
            provider.token_requests += 1
            response = server.create_token_response()
            if response.status_code == 200 and provider.faults:
                body = response.get_json()
                body["id_token"] = provider._id_token_faulted(body["id_token"])
                response.set_data(json.dumps(body))
            return response

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo():
            return server.create_endpoint_response("userinfo")

        @app.route("/logout", methods=["GET", "POST"])
        def logout():
            return server.create_endpoint_response("end_session") or render_template_string(
                PAGE, title="Signed out", body="<p>You are signed out of Test ID.</p>", error="")

        return app

    def _id_token_faulted(self, id_token: str) -> str:
        claims = dict(jwt.decode(id_token, self.key).claims)
        header = {"alg": "RS256", "kid": self.key.kid}
        if "tamper" in self.faults:
            # Change the payload, keep the original signature: what an attacker in the middle would do.
            head, _payload, signature = id_token.split(".")
            forged = jwt.encode(header, {**claims, "email": "mallory@example.com"}, self.key)
            return ".".join([head, forged.split(".")[1], signature])
        if "wrong_audience" in self.faults:
            claims["aud"] = ["another-application"]
        if "expired" in self.faults:
            claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
        if "wrong_nonce" in self.faults:
            claims["nonce"] = "a-nonce-from-another-sign-in"
        if "wrong_issuer" in self.faults:
            claims["iss"] = "http://127.0.0.1:9/evil"
        if "minimal_id_token" in self.faults:
            claims = {key: claims[key] for key in ("iss", "aud", "exp", "iat", "sub", "nonce", "auth_time")
                      if key in claims}
        return jwt.encode(header, claims, self.key)
