"""Fetching public web pages safely, and reading products from them."""
