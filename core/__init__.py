"""The product: accounts, credits, generation, links and the rules that bind them."""
