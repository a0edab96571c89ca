"""`python -m crm_data`: hands over to the command line in crm_data.cli.main."""

import sys

from crm_data.cli.main import main

sys.exit(main())
