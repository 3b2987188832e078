"""Entry point of the frozen ``mp4fix`` command (``mp4fix.exe`` on Windows, ``mp4fix.app/Contents/MacOS/mp4fix``)."""

import multiprocessing
import sys

from mp4fix.cli import main

if __name__ == "__main__":
    # a batch repairs files in worker processes (mp4fix repair --jobs): in a frozen app they start this same
    # executable, which must then run the worker instead of the command line
    multiprocessing.freeze_support()
    # Output redirected to a file or pipe on Windows is cp1252: replace what it cannot hold (the "—" of
    # `mp4fix probe`) instead of failing with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    sys.exit(main())
