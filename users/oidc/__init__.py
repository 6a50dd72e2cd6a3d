"""Sign-in with OpenID Connect providers (Google, Keycloak, Entra, Authentik…) through authlib.

providers.py talks to the providers (discovery, code exchange, ID token verification),
services.py turns verified claims into Sensorium accounts, views.py and api.py are the
browser flow and the native-client endpoint.
"""
