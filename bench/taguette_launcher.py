"""Start Taguette 1.5.2 on loopback with its daily news check replaced, so nothing leaves the machine.

Run with the throwaway virtualenv's Python: ``bench/.taguette-venv/bin/python bench/taguette_launcher.py PORT DATABASE``.
"""

import sys

from taguette.web import base

base.Application.check_messages = lambda self: None  # no request to Taguette's home server

from taguette.main import main  # noqa: E402

port, database = sys.argv[1], sys.argv[2]
sys.argv = ["taguette", "--no-browser", "--bind", "127.0.0.1", "--port", port, "--database", database]
main()
