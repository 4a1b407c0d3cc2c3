"""The audit trail cannot be edited: PostgreSQL refuses any UPDATE or DELETE of its rows, whoever sends it.

- responses_responseevent: refused always. A purge removes the response, never its events (their foreign
  key has no database constraint, so they outlive it).
- the simple_history tables of responses, answers, positions, organisations and consultations: UPDATE is
  refused, except the one that Django sends when a user is deleted (history_user_id set to NULL, nothing
  else changed); DELETE is refused unless the transaction says it is the retention purge (the setting
  consultrack.purging, set 'on' for the transaction by responses.purge.history_removal_allowed and unset
  after it), which removes the history of what it purges.

TRUNCATE is left alone: it is how a test run empties its tables, and needs rights the app never uses.
SQLite (`make run`) has no such triggers; the models refuse changes to events there as everywhere.
"""

from django.db import migrations

EVENT_TABLE = "responses_responseevent"
HISTORY_TABLES = [
    "responses_historicalresponse",
    "responses_historicalanswer",
    "responses_historicalposition",
    "stakeholders_historicalorganisation",
    "consultations_historicalconsultation",
]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION consultrack_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail cannot be changed: % of % refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE OR REPLACE FUNCTION consultrack_guard_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('consultrack.purging', true) = 'on' THEN
            RETURN OLD;
        END IF;
    ELSIF NEW.history_user_id IS NULL
        AND (to_jsonb(NEW) - 'history_user_id') = (to_jsonb(OLD) - 'history_user_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The history of records cannot be changed: % of % refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
"""


def _create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [
        FUNCTIONS,
        f"CREATE TRIGGER {EVENT_TABLE}_immutable BEFORE UPDATE OR DELETE ON {EVENT_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION consultrack_refuse_audit_change()",
    ]
    statements += [
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION consultrack_guard_history()"
        for table in HISTORY_TABLES
    ]
    for statement in statements:
        # No parameters: the % of RAISE are PL/pgSQL placeholders, not the driver's.
        schema_editor.execute(statement, params=None)


def _drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [EVENT_TABLE, *HISTORY_TABLES]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS consultrack_refuse_audit_change()")
    schema_editor.execute("DROP FUNCTION IF EXISTS consultrack_guard_history()")


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0004_consultation_language"),
        ("stakeholders", "0004_organisation_by_name_index"),
        ("responses", "0008_soft_delete_and_immutable_audit"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
