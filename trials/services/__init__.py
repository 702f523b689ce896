"""Writes. Views, serializers, tasks, commands and admin actions call these, never the ORM."""
