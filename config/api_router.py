"""/api/v1/: each app's `apis.py` contributes its operations here."""

from preferences.apis import urlpatterns as preferences_api

app_name = "api"
urlpatterns = [*preferences_api]
