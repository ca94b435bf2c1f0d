"""Copy a data folder's SQLite stores into a PostgreSQL database (once, when moving onto PostgreSQL).

    .venv/bin/python deploy/copy_to_postgres.py --data-dir ./data --database-url postgresql://...

Stop the app first. The copy is one transaction; a database whose tables already hold rows is
refused. Then start the app with RETENTION_LAB_DATABASE_URL set to the same URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation.io.copy_stores import CopyError, copy_stores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", default=None, help="the data folder (default RETENTION_LAB_DATA_DIR, else ./data)"
    )
    parser.add_argument("--database-url", required=True, help="postgresql://user:password@host:5432/database")
    args = parser.parse_args(argv)
    try:
        copied = copy_stores(args.data_dir, args.database_url)
    except CopyError as exc:
        print(f"copy: {exc}", file=sys.stderr)
        return 2
    for table, rows in copied.items():
        print(f"{table}: {rows:,} row(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
