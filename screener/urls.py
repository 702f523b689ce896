from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("trials.urls")),
    path("", RedirectView.as_view(pattern_name="trials:trial-list", permanent=False)),
]
