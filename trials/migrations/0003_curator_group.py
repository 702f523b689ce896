"""The Curator group: exactly what curation needs. Everything else stays superuser-only.

Curators read trials and their registry data, read and curate facets (through the curation
services; `change_facet` is the curation permission), read sync runs and the sync schedule,
and may start a sync now (`trials.run_sync`, declared here because the model declares no
custom permissions). Staff accounts still need is_staff to reach the admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Curator"
RUN_SYNC = ("run_sync", "Can run a registry sync now")
CURATOR_PERMISSIONS = {
    "trials": [
        "view_trial",
        "view_condition",
        "view_intervention",
        "view_location",
        "view_trialversion",
        "view_criterion",
        "view_facet",
        "change_facet",
        "view_syncrun",
        "run_sync",
    ],
    "django_celery_beat": [
        "view_periodictask",
        "view_crontabschedule",
        "view_intervalschedule",
    ],
}


def create_curator_group(apps, schema_editor):
    # On a fresh database the model permissions are made only after all migrations ran
    # (post_migrate); make them now so the group can hold them.
    for label in CURATOR_PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    syncrun_type, _ = ContentType.objects.get_or_create(app_label="trials", model="syncrun")
    Permission.objects.get_or_create(
        content_type=syncrun_type, codename=RUN_SYNC[0], defaults={"name": RUN_SYNC[1]}
    )

    permissions = []
    for label, codenames in CURATOR_PERMISSIONS.items():
        found = list(
            Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"permissions not found for the Curator group: {sorted(missing)}")
        permissions.extend(found)
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.set(permissions)


def remove_curator_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0002_default_sync_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_curator_group, remove_curator_group)]
