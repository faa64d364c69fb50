"""The Discord adapter: interactions in, interaction responses and REST calls out."""
