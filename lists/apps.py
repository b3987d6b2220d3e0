from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = _("Mailing lists")

    def ready(self) -> None:
        from lists import page_texts  # noqa: PLC0415  # models are loaded only now

        page_texts.connect_signals()
