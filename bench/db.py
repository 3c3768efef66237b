"""Reads the benchmark's database: SQLite with the standard library, PostgreSQL through psql."""
import sqlite3
import subprocess


def rows(url, query):
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):].split("?")[0]
        return sqlite3.connect(path).execute(query).fetchall()
    out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def execute(url, statement):
    """Runs one statement that changes the database, committed."""
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):].split("?")[0]
        connection = sqlite3.connect(path, timeout=30)
        connection.execute(statement)
        connection.commit()
        connection.close()
        return
    subprocess.run(["psql", url, "-q", "-c", statement], check=True, capture_output=True)
