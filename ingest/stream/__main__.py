import sys

from ingest.stream.cli import main

sys.exit(main())
