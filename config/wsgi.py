import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _load_broker_transport() -> None:
    """Import the broker's transport now, in each worker as it starts.

    Kombu imports it on the first task sent: seconds for Redis (its client library is
    large), paid by the first request that queues a task, in every worker; Celery builds
    its task registry then too. Nothing
    connects here: connections opened before a fork would be shared between workers.
    """
    from django.conf import settings  # noqa: PLC0415  # settings are ready only now

    if settings.CELERY_BROKER_URL:
        from config.celery import app  # noqa: PLC0415

        app.finalize()  # the task registry, built on the first task sent
        app.connection_for_write().transport_cls  # noqa: B018  # resolving it imports it
        app.amqp.producer_pool  # noqa: B018  # and the producers


_load_broker_transport()
