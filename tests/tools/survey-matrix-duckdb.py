# The survey's matrix from the long CSV in DuckDB (`pip install duckdb`): loads the CSV with
# every column as text, runs survey-matrix.sql (beside this script) and prints the matrix as a
# table of services × organisations, or with --json its cells (what .ci/survey compares with
# the survey's own).
#   python3 tests/tools/survey-matrix-duckdb.py survey.csv [--json]
import json
import sys
from pathlib import Path

import duckdb

con = duckdb.connect()
con.execute(
    "CREATE TABLE contacts AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
    [sys.argv[1]],
)
con.execute((Path(__file__).parent / "survey-matrix.sql").read_text())
if "--json" in sys.argv[2:]:
    query = "SELECT service, organisation, marks, sessions, blocked FROM matrix"
    cells = con.execute(query).fetchall()
    keys = ["service", "organisation", "marks", "sessions", "blocked"]
    json.dump([dict(zip(keys, c)) for c in cells], sys.stdout)
else:
    print(con.sql("PIVOT matrix ON organisation USING first(marks || ' ' || sessions) GROUP BY service"))
