"""Which action each route is (reads and writes apart); who may do it is the permission table's
(``app.services.identity.permissions``), which the services consult too.

Which *unit's* records a permitted role sees or changes is the services' business (an agency
sees its own cases, a task belongs to one unit); this table only names actions. A route that
is not in the table is refused to everybody but the public ones, so a new route cannot slip
through unnoticed (the permission test walks every route for every role).
"""

from __future__ import annotations

from app.services.identity.permissions import Action as A
from app.services.identity.permissions import may

PUBLIC = {
    "auth.login",
    "static",
    "vendor.asset",
    "openapi.document_json",
    "oidc.start",  # only when OIDC is configured
    "oidc.callback",
    "calendar_feed.feed",  # the token in its URL is the credential (calendar applications)
}

# endpoint -> (the action a read (GET) is, the action a write (POST …) is); None: not allowed
TABLE: dict[str, tuple[A | None, A | None]] = {
    "auth.logout": (None, A.ACCOUNT),
    "auth.password": (A.ACCOUNT, A.ACCOUNT),  # one's own password, auditors included
    "tasks.inbox": (A.READ, None),
    "tasks.task_page": (A.READ, A.WORK),
    "tasks.manage_deadline": (None, A.MANAGE_DEADLINE),
    "tasks.record_service": (None, A.WORK),
    "tasks.reassign": (None, A.REASSIGN),
    "tasks.bulk": (None, A.REMIND),
    "task_work.claim": (None, A.CLAIM),
    "task_work.release": (None, A.CLAIM),
    "task_work.take_over": (None, A.TAKE_OVER),
    "task_work.save_draft": (None, A.WORK),
    "task_work.comment": (None, A.COMMENT),
    "tasks.notifications": (A.READ, None),
    "tasks.notifications_read": (None, A.WORK),
    "tasks.substitutes": (A.READ, A.WORK),
    "calendar_feed.page": (A.WORK, A.WORK),  # one's own deadline feed: those who have deadlines
    "cases.case_list": (A.READ, None),
    "cases.case_page": (A.READ, None),
    "cases.case_print": (A.READ, None),
    "cases.register": (A.REGISTER_CASE, A.REGISTER_CASE),
    "cases.start_for_case": (None, A.START_FOR_CASE),
    "court_lists.page": (A.IMPORT_COURT_LISTS, None),
    "court_lists.upload": (None, A.IMPORT_COURT_LISTS),
    "court_lists.template": (A.IMPORT_COURT_LISTS, None),
    "processes.start_page": (A.READ, None),
    "processes.start": (None, A.WORK),
    "modeler.page": (A.READ_MODELS, None),
    "modeler.forms": (A.READ_MODELS, None),
    "modeler.new_page": (A.DEPLOY, None),  # a new process: shown only to those who deploy
    "modeler.preview": (A.READ_MODELS, None),
    "modeler.validate": (None, A.DEPLOY),
    "modeler.deploy": (None, A.DEPLOY),
    "instances.instance_list": (A.READ, None),
    "instances.instance_page": (A.READ, None),
    "instances.diagram": (A.READ, None),
    "instances.dossier": (A.READ, None),
    "instances.download": (A.READ, None),
    "instances.download_pdf": (A.READ, None),
    "instances.attachment": (A.READ, None),
    "instances.attachment_preview": (A.READ, None),
    "instances.audit_log": (A.READ_AUDIT, None),
    # auditors included: a verification changes no record, it only adds its result
    "instances.audit_verify_start": (None, A.VERIFY_AUDIT),
    "instances.outage_report": (A.READ_OUTAGES, None),
    "dashboard.dashboard": (A.READ, None),
    "dashboard.dashboard_excel": (A.READ, None),
    "dashboard.bulletin": (A.SEE_ALL_UNITS, None),  # the district's report: every unit's figures
    "dashboard.evaluate": (None, A.EVALUATE),
    "versions.history": (A.READ_MODELS, None),
    "versions.download": (A.READ_MODELS, None),
    "versions.download_bundle": (A.READ_MODELS, None),
    "versions.diff": (A.READ_MODELS, None),
    "versions.migrate": (A.READ_MODELS, A.MIGRATE_INSTANCES),
    "uploads.upload_page": (A.DEPLOY, None),
    "uploads.upload": (None, A.DEPLOY),
    "incidents.incident_list": (A.RESOLVE_INCIDENTS, None),
    "incidents.retry": (None, A.RESOLVE_INCIDENTS),
    "incidents.incident_page": (A.RESOLVE_INCIDENTS, A.RESOLVE_INCIDENTS),
    "incidents.migrate_and_retry": (None, A.MIGRATE_INSTANCES),
    # the JSON API (token auth)
    "api.receive_message": (None, A.SEND_MESSAGE),  # the services tell court from process
    "api.create_case": (None, A.REGISTER_CASE),
    "api.import_court_list": (None, A.IMPORT_COURT_LISTS),
    "api.list_tasks": (A.READ, None),
    "api.get_task": (A.READ, None),
    "api.task_counts": (A.READ, None),
    "api.claim_task": (None, A.CLAIM),
    "api.release_task": (None, A.CLAIM),
    "api.take_over_task": (None, A.TAKE_OVER),
    "api.draft": (A.READ, A.WORK),
    "api.comments": (A.READ, A.COMMENT),
    "api.complete_task": (None, A.WORK),
    "api.manage_deadline": (None, A.MANAGE_DEADLINE),
    "api.reassign_task": (None, A.REASSIGN),
    "api.bulk_tasks": (None, A.REMIND),
    "api.get_instance": (A.READ, None),
    "api.get_document": (A.READ, None),
    "api.get_document_pdf": (A.READ, None),
    "api.get_attachment": (A.READ, None),
    "api.upload_attachment": (None, A.WORK),
    "api.deadline": (A.READ, None),
    "api.list_processes": (A.READ, None),
    "api.start_process": (None, A.WORK),
    "api.list_incidents": (A.RESOLVE_INCIDENTS, None),
    "api.retry_incident": (None, A.RESOLVE_INCIDENTS),
    "api.search_cases": (A.READ, None),
    "api.get_case": (A.READ, None),
    "api.start_for_case": (None, A.START_FOR_CASE),
    "api.loss_rate": (A.READ, None),
    "api.run_evaluation": (None, A.EVALUATE),
    "api.record_reconsideration": (None, A.RECORD_RECONSIDERATION),
    "api.record_service": (None, A.WORK),
    "cases.record_reconsideration": (A.RECORD_RECONSIDERATION, A.RECORD_RECONSIDERATION),
    "api.name_substitute": (None, A.WORK),
    "api.deploy_definition": (None, A.DEPLOY),
    "api.audit_events": (A.READ_AUDIT, None),
    "api.start_verification": (None, A.VERIFY_AUDIT),
    # 系统管理 (administration in the browser)
    "admin.users": (A.ADMINISTER, A.ADMINISTER),
    "admin.user_page": (A.ADMINISTER, A.ADMINISTER),
    "admin.units": (A.ADMINISTER, A.ADMINISTER),
    "admin.tokens": (A.ADMINISTER, A.ADMINISTER),
    "admin.revoke_token": (None, A.ADMINISTER),
    "admin.holidays": (A.ADMINISTER, A.ADMINISTER),
    "admin.settings": (A.CHANGE_SETTINGS, A.CHANGE_SETTINGS),
}

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def allowed(endpoint: str | None, method: str, role: str) -> bool:
    if endpoint in PUBLIC:
        return True
    entry = TABLE.get(endpoint or "")
    if entry is None:
        return False
    reading, writing = entry
    action = reading if method in READ_METHODS else writing
    return action is not None and may(role, action)
