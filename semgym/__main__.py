from semgym.cli import main

raise SystemExit(main())
