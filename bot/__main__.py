"""``python -m bot`` is ``aioe``."""

from bot.cli import main

main()
