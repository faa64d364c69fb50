"""Payment providers: their hosted pages, and their webhooks read into core's payment events."""
