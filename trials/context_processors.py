from django.http import HttpRequest

from trials.selectors import registry_data_as_of


def registry_freshness(request: HttpRequest) -> dict[str, object]:
    """'Registry data as of <date>' in every page's footer."""
    return {"registry_data_as_of": registry_data_as_of()}
