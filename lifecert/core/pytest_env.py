"""pytest plugin (``-p lifecert.core.pytest_env`` in pyproject): the tests run
with development settings.

DEBUG is off unless the environment sets it, and pytest-django loads
``lifecert.settings`` before any conftest, so the default is given here, when
pytest imports its plugins. A test that needs production settings starts a
subprocess with its own environment (test_deploy_settings).
"""

import os

os.environ.setdefault("DEBUG", "1")
