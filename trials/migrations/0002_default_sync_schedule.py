"""The default registry sync schedule: daily at SYNC_SCHEDULE_HOUR:SYNC_SCHEDULE_MINUTE UTC."""

from django.conf import settings
from django.db import migrations


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(settings.SYNC_SCHEDULE_MINUTE),
        hour=str(settings.SYNC_SCHEDULE_HOUR),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=settings.SYNC_SCHEDULE_NAME,
        defaults={
            "task": "trials.tasks.sync_registry",
            "crontab": crontab,
            "description": "Incremental sync of cytokine trials from ClinicalTrials.gov.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=settings.SYNC_SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
