import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecert.settings")
application = get_wsgi_application()

# The face engine's models, loaded before the workers fork (gunicorn --preload):
# once for all of them (lifecert/certification/face.py).
from lifecert.certification.face import preload  # noqa: E402 needs the app

preload()

# The loaded app out of every later full collection (lifecert/core/collector.py).
from lifecert.core.collector import freeze_loaded_app  # noqa: E402 needs the app

freeze_loaded_app()
