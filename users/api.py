from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from users.serializers import ProfileSerializer
from users.services import profile_update, session_logout
from users.throttling import LoginAttempt, LoginRefused


class LoginApi(TokenObtainPairView):
    """Exchange username and password for an access and a refresh JWT."""

    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer, 401: OpenApiResponse(description="Wrong credentials"),
                              429: OpenApiResponse(description="Too many failed attempts")})
    def post(self, request, *args, **kwargs):
        # request.data is parsed first: a body that is not JSON is a 400 and takes no slot.
        data = request.data
        username = str(data.get("username", ""))[:150] if isinstance(data, dict) else ""
        attempt = LoginAttempt(address=request.META.get("REMOTE_ADDR", ""), username=username)
        try:
            attempt.begin()
        except LoginRefused as refused:
            raise exceptions.Throttled(wait=refused.wait,
                                       detail="Too many failed sign-in attempts. Try again later.") from refused
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed as exc:
            attempt.failed()
            raise exceptions.AuthenticationFailed("Wrong username or password.") from exc
        except BaseException:
            attempt.abandoned()
            raise
        attempt.succeeded()
        return response


class RefreshApi(TokenRefreshView):
    """Exchange a refresh JWT for a new access token (and a rotated refresh token)."""

    @extend_schema(responses={200: LoginApi.OutputSerializer,
                              401: OpenApiResponse(description="Refresh token invalid, expired or logged out")})
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except InvalidToken as exc:
            message = exc.detail.get("detail", "Token is invalid.") if isinstance(exc.detail, dict) else exc.detail
            raise exceptions.AuthenticationFailed({"refresh": [str(message)]}) from exc


class LogoutApi(APIView):
    """Sign out: the refresh token (and the access token sent as `Authorization: Bearer`,
    if any) stop working at once. 205 with no body."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={205: None})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        header = request.headers.get("Authorization", "")
        access = header.split(" ", 1)[1].strip() if header.startswith("Bearer ") else None
        try:
            session_logout(refresh_token=serializer.validated_data["refresh"], access_token=access)
        except TokenError as exc:
            raise exceptions.ValidationError({"refresh": [str(exc)]}) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)


class ProfileApi(RetrieveUpdateAPIView):
    """Your profile: display name, time zone (IANA, used for days and charts) and preferences.
    PATCH changes only the fields given."""

    serializer_class = ProfileSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user.profile

    def perform_update(self, serializer):
        profile_update(profile=serializer.instance, **serializer.validated_data)
