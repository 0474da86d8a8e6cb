"""Deploying bundles of BPMN, DMN and form files as new definition versions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.database import write_transaction
from app.engine import serializer
from app.engine.bundle import load_bundle, validate_files
from app.engine.problems import InvalidBundle, Problem
from app.models import DefinitionVersion, Deployment, User, db

from . import permissions, schedules
from .context import now
from .errors import InvalidDeployment
from .processes import meta_to_dict


@dataclass
class DeployedDefinition:
    key: str
    name: str
    version: int
    new: bool


@dataclass
class DeployResult:
    deployment_id: int | None
    definitions: list[DeployedDefinition] = field(default_factory=list)


def _decode(files: dict[str, bytes]) -> tuple[dict[str, str], list[Problem]]:
    texts, problems = {}, []
    for name, content in files.items():
        try:
            texts[name] = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, None, None, f"not UTF-8 text (byte {exc.start})"))
    return texts, problems


def validate(files: dict[str, bytes]) -> list[Problem]:
    """The checks of deploy, without deploying."""
    _, problems = _decode(files)
    return problems or validate_files(files)


def deploy(files: dict[str, bytes], actor: User, *, dry_run: bool = False, source: str = "api") -> DeployResult:
    """Deploy every executable process in the files; unchanged ones keep their version.

    All or nothing: any problem in any file deploys nothing.
    """
    permissions.require_deploy_rights(actor)
    if not files:
        raise InvalidDeployment([Problem("-", None, None, "no files given")])
    texts, problems = _decode(files)
    if problems:
        raise InvalidDeployment(problems)
    try:
        bundle = load_bundle(files)
    except InvalidBundle as exc:
        raise InvalidDeployment(exc.problems) from None

    if dry_run:
        return DeployResult(None, [d for d, _ in _plan(db.session, bundle)])
    result = DeployResult(deployment_id=None)
    with write_transaction() as session:
        for deployed, model in _plan(session, bundle):
            result.definitions.append(deployed)
            if not deployed.new:
                continue
            if result.deployment_id is None:
                deployment = Deployment(deployed_at=now(), deployed_by=actor.username, source=source)
                session.add(deployment)
                session.flush()
                result.deployment_id = deployment.id
            version = DefinitionVersion(
                key=model.key, version=deployed.version, name=model.name, description=model.description,
                category=model.category, startable=model.startable,
                content_hash=bundle.content_hash, flavour=model.flavour, deployment=deployment,
                deployed_at=deployment.deployed_at, deployed_by=actor.username, files=texts,
                bpmn_file=_file_of(model.key, texts), spec_json=serializer.dump_spec(model),
                meta=meta_to_dict(model),
            )
            session.add(version)
            schedules.replace_schedule(session, version, model.spec, at=deployment.deployed_at)
    return result


def _plan(session, bundle) -> list[tuple[DeployedDefinition, object]]:
    """Which processes of the bundle get a new version (content changed) and which keep theirs."""
    plan = []
    for model in bundle.processes:
        latest = session.scalar(
            sa.select(DefinitionVersion).where(DefinitionVersion.key == model.key)
            .order_by(DefinitionVersion.version.desc()).limit(1))
        if latest is not None and latest.content_hash == bundle.content_hash:
            plan.append((DeployedDefinition(model.key, latest.name, latest.version, False), model))
        else:
            version = (latest.version + 1) if latest else 1
            plan.append((DeployedDefinition(model.key, model.name, version, True), model))
    return plan


def _file_of(process_id: str, texts: dict[str, str]) -> str:
    """The BPMN file that defines a process (a bundle may hold several)."""
    bpmn = sorted(n for n in texts if n.lower().endswith(".bpmn"))
    for name in bpmn:
        if f'id="{process_id}"' in texts[name]:
            return name
    return bpmn[0]


@dataclass
class Check:
    """What deploying some files would do (``plan``), or every reason it cannot (``problems``)."""
    problems: list[Problem]
    plan: list[DeployedDefinition]


def check(files: dict[str, bytes], actor: User) -> Check:
    """The checks and the plan of a deploy, in one call, deploying nothing."""
    try:
        return Check([], deploy(files, actor, dry_run=True).definitions)
    except InvalidDeployment as refused:
        return Check(refused.problems, [])


@dataclass(frozen=True)
class PastDeployment:
    id: int
    deployed_at: datetime
    deployed_by: str
    source: str
    definitions: list[DeployedDefinition]   # the versions it created


def recent(actor: User, limit: int = 20) -> list[PastDeployment]:
    """The latest deployments that created versions, newest first (for those who may deploy)."""
    permissions.require_deploy_rights(actor)
    rows = db.session.scalars(sa.select(Deployment).order_by(Deployment.deployed_at.desc(), Deployment.id.desc())
                              .limit(limit)).all()
    created: dict[int, list[DeployedDefinition]] = {row.id: [] for row in rows}
    versions = db.session.execute(
        sa.select(DefinitionVersion.deployment_id, DefinitionVersion.key, DefinitionVersion.name,
                  DefinitionVersion.version)
        .where(DefinitionVersion.deployment_id.in_(list(created))).order_by(DefinitionVersion.key))
    for deployment_id, key, name, version in versions:
        created[deployment_id].append(DeployedDefinition(key, name, version, True))
    return [PastDeployment(row.id, row.deployed_at, row.deployed_by, row.source, created[row.id]) for row in rows]
