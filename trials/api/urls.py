from django.urls import path

from trials.api import views

app_name = "api"

urlpatterns = [
    path("trials/", views.TrialListAPIView.as_view(), name="trial-list"),
    path("trials/<str:nct_id>/", views.TrialDetailAPIView.as_view(), name="trial-detail"),
    path("screen/", views.ScreenAPIView.as_view(), name="screen"),
    path("vocabulary/", views.VocabularyAPIView.as_view(), name="vocabulary"),
]
