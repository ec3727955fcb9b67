import sys

from lily.local.runner import main

sys.exit(main())
