"""Subscriber pages and the mailer portal, one module per topic."""
