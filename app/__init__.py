"""Baton: a BPMN 2.0 process platform for IT service management.

Layers (dependencies point one way): ``web -> services -> engine, models``.
``create_app`` lives in :mod:`app.factory`; importing the package stays cheap so
that ``app.engine`` can be used without Flask.
"""


def create_app(config=None):
    from .factory import create_app as _create_app

    return _create_app(config)
