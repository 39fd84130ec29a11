"""化解 huajie: the ten mechanisms as BPMN processes.

The packages, from the outside in: ``app.web`` (pages and the JSON API; ``app.web.factory``
builds the Flask app), ``app.cli`` (the ``huajie`` command), ``app.services`` (the domain's
operations, each owning its transaction), ``app.engine`` (SpiffWorkflow), ``app.models``
(SQLAlchemy), and the pure domain modules beside them (``app.workdays``, ``app.clocks``,
``app.documents``, ``app.forms``). docs/architecture.md walks a request through them.
"""
