"""`python -m segdicom ...` is `segdicom ...`."""

import sys

from segdicom.cli import main

sys.exit(main())
