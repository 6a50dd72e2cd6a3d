"""The REST API: DRF, the OpenAPI schema (/docs), CORS, request size."""

from .environment import env

# --- Django REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login_failures": env.str("LOGIN_FAILURE_RATE", default="5/min"),
        "login_failures_per_address": env.str("LOGIN_FAILURE_RATE_PER_ADDRESS", default="20/min"),
    },
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}

# --- OpenAPI schema and Swagger UI ---------------------------------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "Sensorium API",
    "DESCRIPTION": (
        "Telemetry from field devices: sensor registry, ingest, time-series queries, "
        "live streams, commands, blink tracking and product inventory."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI's files come from drf-spectacular-sidecar, so /docs works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.paths_without_trailing_slash",
        "core.schema.one_of_members_closed",
        "core.schema.error_responses_document",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SensorStatusEnum": "sensors.models.SensorStatus",
        "ProductStatusEnum": "products.models.ProductStatus",
        "ProductEventSourceEnum": "products.models.ProductEventSource",
        "ProductCommandSourceEnum": "products.serializers.COMMAND_SOURCES",
        "ExportKindEnum": "telemetry.models.ExportKind",
        "ExportStatusEnum": "telemetry.models.ExportStatus",
        "AlarmStateEnum": "alerts.models.AlarmState",
        "AlarmSeverityEnum": "alerts.models.Severity",
        "AlarmConditionEnum": "alerts.models.Condition",
        "ChannelKindEnum": "alerts.models.ChannelKind",
        "DeliveryStatusEnum": "alerts.models.DeliveryStatus",
    },
}

# --- CORS and request size -----------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# Bodies above this are refused before parsing (ingest accepts 4 MB batches).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=4 * 1024 * 1024)
