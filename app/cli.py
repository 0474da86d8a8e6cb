"""The ``baton`` command. Each command parses its arguments, calls one service,
and prints; problems go to stderr with exit code 1."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.engine.problems import Problem


def _app():
    from app import create_app

    return create_app()


def _cli_actor():
    """The CLI acts with the machine's own authority: whoever may run it may deploy."""
    from app.models import User

    return User(username="cli", role="admin", display_name="Command line")


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


class _BatonGroup(click.Group):
    """Database trouble is told in one line, never as a traceback."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"database error: {reason} (is BATON_DATABASE_URL right, and has `baton init-db` been run?)")
        except SQLAlchemyError as exc:
            raise click.ClickException(f"database error: {exc.__class__.__name__}: {exc}")


@click.group(cls=_BatonGroup)
def main() -> None:
    """Baton: BPMN processes for IT service management."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema."""
    from app.database import upgrade_schema

    app = _app()
    upgrade_schema(app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("database is up to date")


def _bundles(paths: tuple[str, ...]) -> list[tuple[str, dict[str, bytes]]]:
    from app.services.bundles import collect_bundle

    return [(p, collect_bundle(Path(p))) for p in paths]


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate(paths: tuple[str, ...]) -> None:
    """Check process folders or files without deploying them."""
    from app.services import deployments

    app = _app()
    problems: list[Problem] = []
    with app.app_context():
        for _, files in _bundles(paths):
            problems += deployments.validate(files)
    if problems:
        _fail([str(p) for p in problems])
    click.echo(f"{len(paths)} path(s) valid")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Validate and show what would be deployed.")
def deploy(paths: tuple[str, ...], dry_run: bool) -> None:
    """Validate and deploy process folders or files (forms come from forms/)."""
    from app.services import deployments
    from app.services.errors import ServiceError

    app = _app()
    with app.app_context():
        bundles = _bundles(paths)
        problems = [p for _, files in bundles for p in deployments.validate(files)]
        if problems:
            _fail([str(p) for p in problems] + ["nothing deployed"])
        for _, files in bundles:
            try:
                result = deployments.deploy(files, _cli_actor(), dry_run=dry_run, source="cli")
            except ServiceError as exc:
                _fail([f"{p['file']}:{p['line'] or '?'}: {p['element'] or '-'}: {p['message']}"
                       for p in exc.details.get("problems", [])] or [exc.message])
            for d in result.definitions:
                click.echo(f"{d.key} v{d.version} ({'new' if d.new else 'unchanged'})")
        if dry_run:
            click.echo("dry run: nothing deployed")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes.")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@click.option("--no-worker", is_flag=True, help="Do not run the embedded job worker.")
def serve(host: str, port: int, workers: int, threads: int, no_worker: bool) -> None:
    """Serve the web app and the API."""
    from app.server import run_server

    run_server(host=host, port=port, workers=workers, threads=threads, embedded_worker=not no_worker)


@main.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
def worker(once: bool) -> None:
    """Run due jobs (service tasks) until stopped."""
    import signal
    import threading

    from app import worker as job_worker

    app = _app()
    if once:
        click.echo(f"{job_worker.run_once(app)} job(s) run")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("baton worker: running due jobs (Ctrl-C stops)")
    job_worker.run_forever(app, stop)


@main.group()
def user() -> None:
    """Manage users and their API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group (repeatable).")
@click.option("--role", type=click.Choice(["user", "owner", "auditor", "admin"]))
@click.option("--password")
def user_add(name: str, groups: tuple[str, ...], role: str | None, password: str | None) -> None:
    """Create or update a user; prints a new API token."""
    from app.services import users
    from app.services.errors import InvalidData

    app = _app()
    with app.app_context():
        try:
            _, token = users.add_user(name, groups=list(groups) if groups else None, role=role, password=password)
        except InvalidData as exc:
            _fail([f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()])
    click.echo(token)


@user.command("token")
@click.argument("name")
def user_token(name: str) -> None:
    """Print a new API token for a user."""
    from app.services import users
    from app.services.errors import InvalidData

    app = _app()
    with app.app_context():
        try:
            click.echo(users.issue_token(name))
        except InvalidData as exc:
            _fail([" ".join(m for msgs in exc.fields.values() for m in msgs)])


@main.command()
@click.option("--status", type=click.Choice(["running", "completed", "terminated", "suspended", "failed"]))
@click.option("--limit", default=100, show_default=True, type=int)
def instances(status: str | None, limit: int) -> None:
    """List instances, newest first."""
    from app.services import instances as service

    app = _app()
    with app.app_context():
        rows = service.list_instances(_cli_actor(), status=status, limit=limit)
        click.echo(f"{'ID':>6}  {'PROCESS':<28} {'VER':>3}  {'STATUS':<10} {'STARTED':<20} BUSINESS KEY")
        for i in rows:
            click.echo(f"{i.id:>6}  {i.definition_key:<28} {i.definition_version:>3}  {i.status:<10} "
                       f"{i.started_at:%Y-%m-%d %H:%M:%S}  {i.business_key or ''}")


@main.group()
def incidents() -> None:
    """Failed steps waiting for an admin."""


@incidents.command("list")
def list_incidents() -> None:
    """Open incidents, oldest first."""
    from app.services import incidents as service

    app = _app()
    with app.app_context():
        rows = service.open_incidents(_cli_actor(), limit=1000)
        click.echo(f"{'ID':>6}  {'INSTANCE':>8}  {'ELEMENT':<24} {'TRIES':>5}  MESSAGE")
        for i in rows:
            click.echo(f"{i.id:>6}  {i.instance_id:>8}  {i.element or '-':<24} {i.attempts:>5}  {i.message}")


@incidents.command("retry")
@click.argument("incident_id", type=int)
def retry_incident(incident_id: int) -> None:
    """Run an incident's failed step again."""
    from app.services import incidents as service
    from app.services.errors import ServiceError

    app = _app()
    with app.app_context():
        try:
            instance = service.retry(incident_id, _cli_actor())
        except ServiceError as exc:
            _fail([exc.message])
        click.echo(f"instance {instance.id}: {instance.status}")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--version", "version", required=True, type=int, help="The version of its process to move to.")
@click.option("--dry-run", is_flag=True, help="Only say whether it can move.")
def migrate(instance_id: int, version: int, dry_run: bool) -> None:
    """Move an instance to another version of its process."""
    from app.services import migrations
    from app.services.errors import ServiceError

    app = _app()
    with app.app_context():
        try:
            if dry_run:
                check = migrations.check(instance_id, version, _cli_actor())
                if not check.can_move:
                    _fail(list(check.reasons))
                click.echo(f"instance {instance_id} can move from version {check.from_version} to version "
                           f"{version} (at: {', '.join(check.active_steps) or 'nothing'})")
                return
            migrations.migrate(instance_id, version, _cli_actor())
        except ServiceError as exc:
            _fail([exc.message, *exc.details.get("reasons", [])])
        click.echo(f"instance {instance_id}: moved to version {version}")


@main.command("message")
@click.argument("name")
@click.option("--correlation", "correlation", multiple=True, metavar="PROPERTY=VALUE",
              help="A correlation value (repeatable); the value is read as JSON when it parses, else as text.")
@click.option("--data", default=None, metavar="JSON", help="The message's data: a JSON object.")
@click.option("--id", "message_id", default=None, help="A message id: the same id is applied once.")
def send_message(name: str, correlation: tuple[str, ...], data: str | None, message_id: str | None) -> None:
    """Send a message to the instances waiting for it (as POST /messages)."""
    from app.services import messages
    from app.services.errors import InvalidData, ServiceError

    values, problems = _correlation_values(correlation)
    try:
        payload = json.loads(data) if data is not None else None
    except ValueError as exc:
        problems.append(f"--data: not JSON ({exc})")
    if problems:
        _fail(problems)
    app = _app()
    with app.app_context():
        try:
            result = messages.send_message(_cli_actor(), name, correlation=values, data=payload,
                                           message_id=message_id)
        except InvalidData as exc:
            _fail([f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()])
        except ServiceError as exc:
            _fail([exc.message])
    if result.duplicate:
        click.echo(f"message id {message_id} was applied before; nothing done now")
    click.echo(f"delivered to: {', '.join(map(str, result.delivered_to)) or '-'}; "
               f"started: {', '.join(map(str, result.started)) or '-'}")


def _correlation_values(pairs: tuple[str, ...]) -> tuple[dict, list[str]]:
    values, problems = {}, []
    for pair in pairs:
        prop, sep, text = pair.partition("=")
        if not sep or not prop.strip():
            problems.append(f"--correlation {pair!r}: write PROPERTY=VALUE")
            continue
        try:
            values[prop.strip()] = json.loads(text)
        except ValueError:
            values[prop.strip()] = text
    return values, problems


@main.group()
def records() -> None:
    """Reference data the processes keep (the store hook's collections): the CAB's
    members, the asset register, the licence pool."""


def _record_call(call, *args):
    """Runs a records service call in the app; a refused argument is told as ``field: message``."""
    from app.services.errors import InvalidData

    app = _app()
    with app.app_context():
        try:
            return call(*args)
        except InvalidData as exc:
            _fail([f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()])


@records.command("put")
@click.argument("collection")
@click.argument("key")
@click.argument("value", metavar="JSON")
def put_record(collection: str, key: str, value: str) -> None:
    """Store a record (a JSON object), replacing the one with that key."""
    from app.services import records as service

    try:
        parsed = json.loads(value)
    except ValueError as exc:
        _fail([f"JSON: not JSON ({exc})"])
    record = _record_call(service.put, collection, key, parsed)
    click.echo(f"{record.collection}/{record.key}: {json.dumps(record.value, ensure_ascii=False)}")


@records.command("get")
@click.argument("collection")
@click.argument("key")
def get_record(collection: str, key: str) -> None:
    """Print one record's value as JSON."""
    from app.services import records as service

    record = _record_call(service.get, collection, key)
    if record is None:
        _fail([f"no record {key!r} in {collection!r}"])
    click.echo(json.dumps(record.value, ensure_ascii=False, indent=2))


@records.command("list")
@click.argument("collection", required=False)
@click.option("--limit", default=100, show_default=True, type=int)
def list_records(collection: str | None, limit: int) -> None:
    """The collections and their sizes; with COLLECTION, its records by key."""
    from app.services import records as service

    if collection is None:
        for name, count in _record_call(service.collections).items():
            click.echo(f"{name:<40} {count:>8}")
        return
    for record in _record_call(service.query, collection, None, limit):
        click.echo(f"{record.key:<30} {json.dumps(record.value, ensure_ascii=False)}")


@records.command("delete")
@click.argument("collection")
@click.argument("key")
def delete_record(collection: str, key: str) -> None:
    """Delete one record."""
    from app.services import records as service

    if not _record_call(service.delete, collection, key):
        _fail([f"no record {key!r} in {collection!r}"])
    click.echo(f"deleted {collection}/{key}")


if __name__ == "__main__":
    main()
