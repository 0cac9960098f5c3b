import sys

from govhub.cli import main

sys.exit(main())
