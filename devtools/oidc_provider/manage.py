#!/usr/bin/env python
"""A development OpenID Connect provider for LifeCert (django-oidc-provider).

Not part of LifeCert: a separate Django project on its own SQLite file, for
development and the tests only. Start it with

    .venv/bin/python devtools/oidc_provider/manage.py runprovider --port 8765

(see README: 统一身份认证). Its users match the demo data.
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
