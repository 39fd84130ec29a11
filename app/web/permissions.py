"""The one table that decides which roles may use which route (reads and writes apart).

Which *unit's* records a permitted role sees or changes is the services' business (an agency
sees its own cases, a task belongs to one unit); this table only decides roles. A route that
is not in the table is refused to everybody but the public ones, so a new route cannot slip
through unnoticed (the permission test walks every route for every role).
"""

from __future__ import annotations

from app.models import ROLES

ALL = frozenset(ROLES)
READERS = ALL - {"court"}  # every person; the court's token only sends messages
STAFF = READERS - {"auditor"}  # people who change things
CENTER = frozenset({"center", "admin"})
MANAGERS = frozenset({"center", "bureau", "bureau_head", "admin"})  # 中止/恢复/延长
REASSIGNERS = frozenset({"agency_head", "center", "bureau_head", "admin"})
EVALUATORS = frozenset({"bureau", "bureau_head", "admin"})
AUDIT = frozenset({"auditor", "admin", "bureau"})
MODELERS = frozenset({"process_owner", "admin"})  # change and deploy diagrams
MODEL_READERS = MODELERS | {"bureau", "bureau_head", "auditor"}
NONE: frozenset[str] = frozenset()

PUBLIC = {
    "auth.login",
    "static",
    "vendor.asset",
    "openapi.document_json",
    "oidc.start",  # only when OIDC is configured
    "oidc.callback",
}

# endpoint -> (roles that may read (GET), roles that may write (POST …))
TABLE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "auth.logout": (NONE, ALL),
    "auth.password": (ALL, ALL),  # one's own password, auditors included
    "tasks.inbox": (READERS, NONE),
    "tasks.task_page": (READERS, STAFF),
    "tasks.manage_deadline": (NONE, MANAGERS),
    "tasks.record_service": (NONE, STAFF),
    "tasks.reassign": (NONE, REASSIGNERS),
    "tasks.bulk": (NONE, REASSIGNERS | {"bureau"}),
    "tasks.notifications": (READERS, NONE),
    "tasks.notifications_read": (NONE, STAFF),
    "tasks.substitutes": (READERS, STAFF),
    "cases.case_list": (READERS, NONE),
    "cases.case_page": (READERS, NONE),
    "cases.register": (CENTER, CENTER),
    "cases.start_for_case": (NONE, frozenset({"agency", "agency_head", "center"})),
    "processes.start_page": (READERS, NONE),
    "processes.start": (NONE, STAFF),
    "modeler.page": (MODEL_READERS, NONE),
    "modeler.forms": (MODEL_READERS, NONE),
    "modeler.preview": (MODEL_READERS, NONE),
    "modeler.validate": (NONE, MODELERS),
    "modeler.deploy": (NONE, MODELERS),
    "instances.instance_list": (READERS, NONE),
    "instances.instance_page": (READERS, NONE),
    "instances.diagram": (READERS, NONE),
    "instances.dossier": (READERS, NONE),
    "instances.download": (READERS, NONE),
    "instances.attachment": (READERS, NONE),
    "instances.audit_log": (AUDIT, NONE),
    # auditors included: a verification changes no record, it only adds its result
    "instances.audit_verify_start": (NONE, AUDIT),
    "instances.outage_report": (AUDIT | {"center"}, NONE),
    "dashboard.dashboard": (READERS, NONE),
    "dashboard.dashboard_excel": (READERS, NONE),
    "dashboard.evaluate": (NONE, EVALUATORS),
    "versions.history": (MODEL_READERS, NONE),
    "versions.download": (MODEL_READERS, NONE),
    "versions.diff": (MODEL_READERS, NONE),
    "versions.migrate": (MODEL_READERS, MODELERS),
    # the JSON API (token auth)
    "api.receive_message": (NONE, frozenset({"court", "center", "admin"})),
    "api.create_case": (NONE, CENTER),
    "api.list_tasks": (READERS, NONE),
    "api.get_task": (READERS, NONE),
    "api.complete_task": (NONE, STAFF),
    "api.manage_deadline": (NONE, MANAGERS),
    "api.reassign_task": (NONE, REASSIGNERS),
    "api.bulk_tasks": (NONE, REASSIGNERS | {"bureau"}),
    "api.get_instance": (READERS, NONE),
    "api.get_document": (READERS, NONE),
    "api.get_attachment": (READERS, NONE),
    "api.upload_attachment": (NONE, STAFF),
    "api.deadline": (READERS, NONE),
    "api.list_processes": (READERS, NONE),
    "api.start_process": (NONE, STAFF),
    "api.search_cases": (READERS, NONE),
    "api.get_case": (READERS, NONE),
    "api.start_for_case": (NONE, frozenset({"agency", "agency_head", "center"})),
    "api.loss_rate": (READERS, NONE),
    "api.run_evaluation": (NONE, EVALUATORS),
    "api.record_reconsideration": (NONE, EVALUATORS),
    "api.record_service": (NONE, STAFF),
    "cases.record_reconsideration": (EVALUATORS, EVALUATORS),
    "api.name_substitute": (NONE, STAFF),
    "api.deploy_definition": (NONE, MODELERS),
}

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def allowed(endpoint: str | None, method: str, role: str) -> bool:
    if endpoint in PUBLIC:
        return True
    entry = TABLE.get(endpoint or "")
    if entry is None:
        return False
    readers, writers = entry
    return role in (readers if method in READ_METHODS else writers)
