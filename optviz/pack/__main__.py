"""``python -m optviz.pack DIR [LINK ...] [--url ADDRESS]``: the class pack (see optviz.pack)."""

from optviz.pack import main

if __name__ == "__main__":
    main()
