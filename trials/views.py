from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from trials.selectors import trial_get, trial_list

# Fifty trials a page keeps the list page light at 100,000 trials.
TRIALS_PER_PAGE = 50


def trial_list_view(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(trial_list(), TRIALS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "trials/trial_list.html", {"page": page, "count": paginator.count})


def trial_detail_view(request: HttpRequest, nct_id: str) -> HttpResponse:
    trial = trial_get(nct_id=nct_id)
    if trial is None:
        raise Http404(f"No trial {nct_id} here.")
    return render(request, "trials/trial_detail.html", {"trial": trial})
