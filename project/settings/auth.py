"""Who signs in and how: the user model, browser login, passwords, JWT for the API,
OpenID Connect providers."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# --- Users and browser login ---------------------------------------------------------
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = None  # LogoutView then shows registration/logged_out.html

# --- Passwords -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- JWT (POST /api/v1/auth/login, /refresh, /logout) --------------------------------
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- Sign-in with OpenID Connect (users/oidc/) -----------------------------------------
# OIDC_PROVIDERS names the providers offered (e.g. "google,keycloak"); each reads
# OIDC_<NAME>_<SETTING> for the settings below. "google" is a preset: its issuer and display
# name default to Google's. Staff rights come from a provider only through the explicit
# STAFF_CLAIM/STAFF_VALUES mapping.
OIDC_PROVIDER_SETTINGS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPES", "DISPLAY_NAME",
                          "NATIVE_CLIENT_ID", "NATIVE_CLIENT_SECRET", "STAFF_CLAIM", "STAFF_VALUES")
OIDC_PRESETS = {"google": {"ISSUER": "https://accounts.google.com", "DISPLAY_NAME": "Google"}}


def _oidc_provider(name: str) -> dict:
    if not name.isidentifier() or not name.islower():
        raise ImproperlyConfigured(f"OIDC_PROVIDERS: {name!r} is not a provider name (lower-case letters, digits, _).")
    preset = OIDC_PRESETS.get(name, {})
    prefix = f"OIDC_{name.upper()}_"
    value = {key: env.str(prefix + key, default=preset.get(key, "")).strip() for key in OIDC_PROVIDER_SETTINGS}
    for key in ("ISSUER", "CLIENT_ID"):
        if not value[key]:
            raise ImproperlyConfigured(f"{prefix}{key} is not set (provider {name!r} is in OIDC_PROVIDERS).")
    return {
        "name": name,
        "display_name": value["DISPLAY_NAME"] or name.replace("_", " ").title(),
        "issuer": value["ISSUER"],
        "client_id": value["CLIENT_ID"],
        "client_secret": value["CLIENT_SECRET"],
        "scopes": value["SCOPES"] or "openid email profile",
        "native_client_id": value["NATIVE_CLIENT_ID"] or value["CLIENT_ID"],
        "native_client_secret": value["NATIVE_CLIENT_SECRET"] if value["NATIVE_CLIENT_ID"] else value["CLIENT_SECRET"],
        "staff_claim": value["STAFF_CLAIM"],
        "staff_values": [item.strip() for item in value["STAFF_VALUES"].split(",") if item.strip()],
    }


OIDC_PROVIDERS = {name: _oidc_provider(name) for name in env.list("OIDC_PROVIDERS", default=[])}
# Seconds each call to a provider (discovery, token, keys) may take before sign-in says it is down.
OIDC_TIMEOUT_S = env.float("OIDC_TIMEOUT_S", default=5.0)
