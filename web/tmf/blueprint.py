"""The TMF642 Alarm Management blueprint, in a module of its own so that route modules can
import it. It is registered twice: at the primary base path and at the swagger's own."""

from __future__ import annotations

from flask import Blueprint

BASE = "/tmf-api/alarmManagement/v4"  # primary (INTERFACES.md §7.2)
ALIAS = "/tmf-api/alarm/v4"  # the v4 swagger's basePath
ALIAS_NAME = "tmf_alarm_alias"
API = "alarm"  # HubSubscription.api of TMF642 listeners

bp = Blueprint("tmf_alarm", __name__)
