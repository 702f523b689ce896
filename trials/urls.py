from django.urls import path

from trials import views

app_name = "trials"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("results.csv", views.results_csv_view, name="results-csv"),
    path("trials/", views.trial_list_view, name="trial-list"),
    path("trials/<str:nct_id>/", views.trial_detail_view, name="trial-detail"),
]
