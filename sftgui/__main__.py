from sftgui.cli import main

raise SystemExit(main())
