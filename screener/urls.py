from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from screener.health import healthz

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("trials.api.curation_urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("trials.urls")),
    path("", RedirectView.as_view(pattern_name="trials:trial-list", permanent=False)),
]
