"""HTTP Basic authentication for the API whose failed logins django-axes always counts.

DRF's BasicAuthentication hands its Request to `authenticate()`. When a login fails,
django-axes logs `request.POST`, which on DRF's Request parses the body; a body that does
not parse (text/plain, broken JSON) raised out of axes' handler before it counted the
failure. Wrong passwords sent that way were never locked out, and answered 415/400 where
a right one got past authentication: an unlimited password oracle.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.authentication import BasicScheme
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request


class _HeaderCredentialsRequest:
    """The request Basic authentication hands to `authenticate()`: DRF's request, except
    that its body is never read (the credentials are in the header)."""

    def __init__(self, request: Request) -> None:
        object.__setattr__(self, "_drf_request", request)

    @property
    def POST(self) -> QueryDict:
        return QueryDict()

    @property
    def data(self) -> QueryDict:
        return QueryDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_drf_request"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        # axes marks the request (axes_locked_out, ...): on DRF's request, as before.
        setattr(object.__getattribute__(self, "_drf_request"), name, value)


class HeaderBasicAuthentication(BasicAuthentication):
    """Basic authentication whose failures django-axes always counts."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, None]:
        wrapped = None if request is None else _HeaderCredentialsRequest(request)
        return super().authenticate_credentials(userid, password, wrapped)


class HeaderBasicScheme(BasicScheme):
    """The schema documents it as the plain HTTP Basic scheme (basicAuth) it is."""

    target_class = HeaderBasicAuthentication
