"""Admin for what marketers configure."""

# Mailer API keys and blocked clients live in their own module (issue 6); keep this import.
from lists import admin_api  # noqa: F401
