"""`python -m controller` runs the controller like the `ontap-extension` console script."""

import sys

from controller.main import main

sys.exit(main())
