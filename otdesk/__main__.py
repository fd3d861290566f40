import sys

from otdesk.cli import main

sys.exit(main())
