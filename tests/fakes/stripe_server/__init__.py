"""A local Stripe: the API AIOE calls, and webhook deliveries signed as Stripe signs them."""

from tests.fakes.stripe_server.server import Call, FakeStripe, StripeError, parse_form, serve_stripe

__all__ = ["Call", "FakeStripe", "StripeError", "parse_form", "serve_stripe"]
