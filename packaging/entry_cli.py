"""Entry point of the frozen ``mp4fix`` command (``mp4fix.exe`` on Windows, ``mp4fix.app/Contents/MacOS/mp4fix``)."""

import sys

from mp4fix.cli import main

if __name__ == "__main__":
    sys.exit(main())
