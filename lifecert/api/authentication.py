"""DRF authentication and permission by system token (``Authorization: Bearer``)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import ApiToken, Scope
from .services import ApiClient, TokenCheck, check_token

INVALID = "令牌无效或已停用：请核对令牌，或请社保经办机构重新发放。"


class TokenRefused(AuthenticationFailed):
    """401 for a token that proves nothing; ``check`` says why (for the audit)."""

    def __init__(self, detail: str, code: str, check: TokenCheck) -> None:
        super().__init__(detail, code=code)
        self.check = check


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer lct_<key>_<secret>``; no header: not authenticated."""

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        malformed = TokenCheck(None, "malformed")
        if header[0].lower() != b"bearer" or len(header) != 2:
            raise TokenRefused(
                "请求头 Authorization 应为“Bearer 令牌”。",
                "bad_authorization",
                malformed,
            )
        try:
            plain = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise TokenRefused(INVALID, "invalid_token", malformed) from None
        check = check_token(plain)
        if check.token is None:
            raise TokenRefused(INVALID, "invalid_token", check)
        return ApiClient(check.token), check.token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="lifecert"'


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's extension base is untyped
    target_class = "lifecert.api.authentication.TokenAuthentication"
    name = "systemToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "社保经办机构在“接口令牌”页发放的令牌：lct_<key>_<secret>",
        }


class HasScope(BasePermission):
    """The view's ``scope`` is among the token's. No token: 401 (DRF)."""

    message = "该令牌没有调用此接口的权限，请联系社保经办机构调整权限范围。"
    code = "scope_missing"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        scope: Scope = view.scope
        return scope.value in token.scopes
