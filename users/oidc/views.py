"""The browser flow: Sign in with … → the provider → back here, signed in (or linked).

Every refusal is logged and shown to the person as a message on the page they land on.
The login page itself never calls a provider, so it works while one is down.
"""

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from users.oidc import sessions
from users.oidc.errors import SignInRefused, refusal_log
from users.oidc.providers import (
    Provider,
    authorization_url_create,
    claims_completed,
    code_exchange,
    id_token_verify,
    metadata_load,
    oauth_client,
    provider_get,
    providers_configured,
)
from users.oidc.services import oidc_identity_link, oidc_identity_unlink, oidc_sign_in

logger = logging.getLogger("users.oidc")

ACCOUNT_PAGE = "dashboards:account"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInView(auth_views.LoginView):
    """Django's login page plus a "Sign in with …" button per configured provider."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, oidc_providers=providers_configured())


def _callback_uri(request, provider: Provider) -> str:
    return request.build_absolute_uri(reverse("oidc:callback", args=[provider.name]))


def _refused(request, refusal: SignInRefused, *, provider_name: str, flow: str, to: str):
    refusal_log(refusal=refusal, provider=provider_name, flow=flow)
    messages.error(request, refusal.message)
    return redirect(to)


def _flow_start(request, *, provider_name: str, intent: str, next_url: str, failure_url: str):
    try:
        provider = provider_get(name=provider_name)
        client = oauth_client(provider=provider)
        redirect_uri = _callback_uri(request, provider)
        authorization = authorization_url_create(provider=provider, client=client, redirect_uri=redirect_uri)
    except SignInRefused as refusal:
        return _refused(request, refusal, provider_name=provider_name, flow=intent, to=failure_url)
    # authlib keeps state, nonce and the PKCE verifier in the session under the state value;
    # what this flow is for travels with them.
    client.save_authorize_data(request, redirect_uri=redirect_uri, intent=intent, next=next_url,
                               user_id=request.user.pk if intent == "link" else None, **authorization)
    return HttpResponseRedirect(authorization["url"])


@require_POST
def sign_in_start(request, provider_name: str):
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = settings.LOGIN_REDIRECT_URL
    return _flow_start(request, provider_name=provider_name, intent="sign_in", next_url=next_url,
                       failure_url=settings.LOGIN_URL)


@require_POST
@login_required
def link_start(request, provider_name: str):
    return _flow_start(request, provider_name=provider_name, intent="link", next_url=reverse(ACCOUNT_PAGE),
                       failure_url=ACCOUNT_PAGE)


def _flow_take(request, client) -> dict:
    """The flow this callback answers, used once: a replayed or forged state finds nothing."""
    state = request.GET.get("state") or ""
    flow = client.framework.get_state_data(request.session, state) if state else None
    if state:
        client.framework.clear_state_data(request.session, state)
    if not flow:
        raise SignInRefused("This sign-in has expired or was already completed (its state is unknown). "
                            "Start the sign-in again.", reason="state_mismatch", status=400)
    return flow


@require_GET
def callback(request, provider_name: str):
    failure_url = ACCOUNT_PAGE if request.user.is_authenticated else settings.LOGIN_URL
    intent = "callback"
    try:
        provider = provider_get(name=provider_name)
        client = oauth_client(provider=provider)
        flow = _flow_take(request, client)
        intent = flow.get("intent", "sign_in")
        failure_url = ACCOUNT_PAGE if intent == "link" else settings.LOGIN_URL
        if request.GET.get("error"):
            description = " ".join((request.GET.get("error_description") or request.GET["error"]).split())
            error_code = re.sub(r"[^a-z_]", "", request.GET["error"].lower())[:40]  # it ends up in the log
            raise SignInRefused(f"{provider.display_name} did not sign you in: {description[:200]}",
                                reason=f"provider_error_{error_code}")
        code = request.GET.get("code")
        if not code:
            raise SignInRefused(f"{provider.display_name} sent no authorization code back.", reason="no_code",
                                status=400)
        token = code_exchange(provider=provider, client=client, code=code, code_verifier=flow["code_verifier"],
                              redirect_uri=flow["redirect_uri"])
        claims = id_token_verify(provider=provider, client=client, token=token, nonce=flow["nonce"])
        claims = claims_completed(provider=provider, client=client, token=token, claims=claims)
        if intent == "link":
            return _link_finish(request, provider=provider, claims=claims, flow=flow)
        return _sign_in_finish(request, provider=provider, client=client, claims=claims, token=token, flow=flow)
    except SignInRefused as refusal:
        return _refused(request, refusal, provider_name=provider_name, flow=intent, to=failure_url)


def _sign_in_finish(request, *, provider: Provider, client, claims: dict, token: dict, flow: dict):
    user, created = oidc_sign_in(provider=provider, claims=claims)
    auth_login(request, user, backend=MODEL_BACKEND)
    end_session = bool(client.server_metadata.get("end_session_endpoint"))
    sessions.signed_in_remember(session=request.session, provider=provider, id_token=token["id_token"],
                                end_session=end_session)
    logger.info("OpenID Connect sign-in: provider=%s user=%s created=%s", provider.name, user.pk, created)
    if created:
        messages.success(request, f"Welcome! Your Sensorium account {user.username} was created "
                                  f"with {provider.display_name}.")
    return redirect(flow.get("next") or settings.LOGIN_REDIRECT_URL)


def _link_finish(request, *, provider: Provider, claims: dict, flow: dict):
    if not request.user.is_authenticated or request.user.pk != flow.get("user_id"):
        raise SignInRefused("Sign in to Sensorium first, then link the account again.",
                            reason="link_user_changed", status=403)
    oidc_identity_link(user=request.user, provider=provider, claims=claims)
    logger.info("OpenID Connect identity linked: provider=%s user=%s", provider.name, request.user.pk)
    messages.success(request, f"{provider.display_name} is linked: you can sign in with it from now on.")
    return redirect(ACCOUNT_PAGE)


@require_POST
@login_required
def unlink(request, provider_name: str):
    display_name = settings.OIDC_PROVIDERS.get(provider_name, {}).get("display_name", provider_name)
    try:
        oidc_identity_unlink(user=request.user, provider_name=provider_name)
    except SignInRefused as refusal:
        return _refused(request, refusal, provider_name=provider_name, flow="unlink", to=ACCOUNT_PAGE)
    logger.info("OpenID Connect identity unlinked: provider=%s user=%s", provider_name, request.user.pk)
    messages.success(request, f"{display_name} is unlinked from your account.")
    return redirect(ACCOUNT_PAGE)


@require_POST
def provider_sign_out(request):
    """RP-initiated logout: send the browser to the provider's end_session_endpoint."""
    offer = sessions.provider_sign_out_offer_take(session=request.session)
    if not offer:
        return redirect(settings.LOGIN_URL)
    try:
        provider = provider_get(name=offer["provider"])
        client = oauth_client(provider=provider)
        metadata_load(provider=provider, client=client)
    except SignInRefused as refusal:
        return _refused(request, refusal, provider_name=offer["provider"], flow="sign_out", to=settings.LOGIN_URL)
    logout = client.create_logout_url(post_logout_redirect_uri=request.build_absolute_uri(reverse("login")),
                                      id_token_hint=offer["id_token"], client_id=client.client_id)
    return HttpResponseRedirect(logout["url"])
