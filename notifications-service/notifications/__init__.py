"""notifications-service's Django apps live in this package (`notifications/<app>/`)."""
