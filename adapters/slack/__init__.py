"""The Slack adapter: Slack payloads in, Block Kit and Web API calls out."""
