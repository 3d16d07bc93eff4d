import os
import threading

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

if settings.RIGHTS_WARM_UP:
    # Load OpenFisca-France and run a first calculation now, so that no person waits for it.
    from guichet.rights.engine.system import warm_up

    threading.Thread(target=warm_up, name="rights-warm-up", daemon=True).start()
