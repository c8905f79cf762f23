from drama.cli import main

raise SystemExit(main())
