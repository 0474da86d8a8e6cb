"""The job rows a run asks for, written by ``execution.save_run`` in the
transaction that made the instance wait for them."""
from __future__ import annotations

from datetime import datetime

from app.engine.service_calls import ServiceCall
from app.models import Job


def new_service_job(instance_id: int, call: ServiceCall, at: datetime) -> Job:
    return Job(kind="service", instance_id=instance_id, task_id=call.task_id, element=call.bpmn_id,
               hook=call.hook, params=call.params, result_variable=call.result_variable,
               attempts=0, max_attempts=call.retries + 1, due_at=at, created_at=at)
