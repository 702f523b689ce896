import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0003_curator_group"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="location",
            index=models.Index(
                django.db.models.functions.text.Upper("country"),
                models.F("trial"),
                name="location_country_upper",
            ),
        ),
    ]
