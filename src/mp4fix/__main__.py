from mp4fix.cli import main

raise SystemExit(main())
