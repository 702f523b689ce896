from tests.curation.fixtures import (  # noqa: F401
    changed_study,
    client_as,
    curator,
    trial,
    user_in_role,
)
