"""The Freqtrade multi-bot management server: settings and the ORM models of its database."""
