"""Token issue and "who am I" for API clients, and the documented shape of every API error."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from community.access import scope_for

from .api import error_response


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as 'Authorization: Token <token>'."))


class ObtainTokenApi(APIView):
    """Exchange a username (or mobile number) and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenOutput,
            400: error_response(_("Missing fields, or credentials that do not sign in.")),
            429: error_response(_("Too many attempts; try again later.")),
        },
        auth=[],
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text=_("Masked."))
    roles = serializers.ListField(child=serializers.CharField())


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request):
        user = request.user
        return Response(
            MeOutput(
                {
                    "id": user.pk,
                    "username": user.username,
                    "name": str(user),
                    "phone": user.masked_phone,
                    "roles": sorted(scope_for(user).roles),
                }
            ).data
        )
