"""Mock writes of scheduled plans and alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.content import _PLAN_BASE, _user_public
from lookervault.mock.content_writes import stamp
from lookervault.mock.write_support import IdSource, accepted, must_exist, refuse, require

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []


def create_scheduled_plan(data: MockData, body: dict[str, Any]) -> dict[str, Any]:
    """POST /scheduled_plans: on a look or a dashboard that exists; destinations get server ids."""
    require("scheduled_plans", body)
    fields = accepted("scheduled_plans", body)
    if fields.get("look_id") is not None:
        must_exist(data.objects["looks"], fields["look_id"], "look_id")
        fields["look_id"] = str(fields["look_id"])
    if fields.get("dashboard_id") is not None:
        must_exist(data.objects["dashboards"], fields["dashboard_id"], "dashboard_id")
        fields["dashboard_id"] = str(fields["dashboard_id"])
    plans = data.objects["scheduled_plans"]
    number = IdSource.next_id(data, "scheduled_plans")
    now = stamp(data)
    user_id = str(fields.get("user_id") or data.me_id)
    destinations = [
        {**dest, "id": f"{number}{n:02}", "scheduled_plan_id": number, "secret_parameters": None}
        for n, dest in enumerate(fields.pop("scheduled_plan_destination", None) or ())
    ]
    plan = {**_PLAN_BASE, "enabled": True, "look_id": None, "dashboard_id": None, **fields,
            "id": number, "user_id": user_id, "scheduled_plan_destination": destinations,
            "created_at": now, "updated_at": now, "next_run_at": None, "last_run_at": None}  # fmt: skip
    user = data.objects["users"].get(user_id)
    if user:
        plan["user"] = _user_public(user)
    plans[number] = plan
    return plan


def create_alert(data: MockData, body: dict[str, Any]) -> dict[str, Any]:
    """POST /alerts: the required fields, an owner that exists."""
    require("alerts", body)
    fields = accepted("alerts", body)
    must_exist(data.objects["users"], fields["owner_id"], "owner_id")
    if fields.get("dashboard_element_id") is not None:
        tiles = {
            str(e["id"])
            for d in data.objects["dashboards"].values()
            for e in d["dashboard_elements"]
        }
        must_exist(dict.fromkeys(tiles), fields["dashboard_element_id"], "dashboard_element_id")
    alerts = data.objects["alerts"]
    number = IdSource.next_id(data, "alerts")
    owner = data.objects["users"][str(fields["owner_id"])]
    alert = {"applied_dashboard_filters": [], "custom_url_base": None, "custom_url_params": None,
             "custom_url_label": None, "show_custom_url": False, "custom_title": None,
             "dashboard_element_id": None, "description": None, "enhancements": None,
             "is_disabled": False, "disabled_reason": None, "is_public": False,
             "investigative_content_type": None, "investigative_content_id": None,
             "lookml_dashboard_id": None, "lookml_link_id": None, "query_id": None,
             "time_series_condition_state": None, **fields, "followed": False,
             "followable": True, "id": number, "investigative_content_title": None,
             "owner_id": owner["id"], "owner_display_name": owner["display_name"]}  # fmt: skip
    alerts[number] = alert
    return alert


def update_scheduled_plan(data: MockData, plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /scheduled_plans/{id}: the fields given; destinations, when given, replace them."""
    plans = data.objects["scheduled_plans"]
    if plan_id not in plans:
        raise refuse(404, "Not found")
    fields = accepted("scheduled_plans", body)
    if "scheduled_plan_destination" in fields:
        fields["scheduled_plan_destination"] = [
            {
                **dest,
                "id": f"{plan_id}{n:02}",
                "scheduled_plan_id": plan_id,
                "secret_parameters": None,
            }
            for n, dest in enumerate(fields["scheduled_plan_destination"] or ())
        ]
    plans[plan_id] = {**plans[plan_id], **fields, "updated_at": stamp(data)}
    return plans[plan_id]


def replace_alert(data: MockData, alert_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PUT /alerts/{id}: the whole alert (the required fields again)."""
    alerts = data.objects["alerts"]
    if alert_id not in alerts:
        raise refuse(404, "Not found")
    require("alerts", body)
    fields = accepted("alerts", body)
    must_exist(data.objects["users"], fields["owner_id"], "owner_id")
    owner = data.objects["users"][str(fields["owner_id"])]
    alerts[alert_id] = {**alerts[alert_id], **fields, "owner_id": owner["id"],
                        "owner_display_name": owner["display_name"]}  # fmt: skip
    return alerts[alert_id]
