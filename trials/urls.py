from django.urls import path

from trials import views

app_name = "trials"

urlpatterns = [
    path("trials/", views.trial_list_view, name="trial-list"),
    path("trials/<str:nct_id>/", views.trial_detail_view, name="trial-detail"),
]
