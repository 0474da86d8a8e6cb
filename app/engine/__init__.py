"""Everything SpiffWorkflow: loading and validating bundles, the script sandbox,
forms, serializing state and advancing workflows.

This package knows nothing of Flask or SQLAlchemy, so it can be tested and
benchmarked alone.
"""
