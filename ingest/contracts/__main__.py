import sys

from ingest.contracts import main

sys.exit(main())
