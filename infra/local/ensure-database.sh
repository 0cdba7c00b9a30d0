#!/usr/bin/env bash
# Creates the database that DATABASE_URL names when it does not exist yet, on the server, port and
# as the user that URL names (with its password and options): the admin connection is the same URL
# with the database replaced by `postgres`. The name is passed to SQL as a psql variable and
# quoted with format('%I'), so any name PostgreSQL accepts works and none can inject SQL.
#   DATABASE_URL=postgres://user:pw@host:5433/my_db bash infra/local/ensure-database.sh
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL}"
# Parsed as the services' driver (postgres.js) parses it, so this is the database they open: the
# WHATWG URL's path without its slash, not percent-decoded (libpq would decode it; the driver
# does not).
# shellcheck disable=SC2016
parsed=$(node -e '
  let url;
  try { url = new URL(process.argv[1]); } catch { url = undefined; }
  const db = url && url.pathname.slice(1);
  if (!url || !/^postgres(ql)?:$/.test(url.protocol) || !db || /[/\n]/.test(db)) {
    console.error("ensure-database: DATABASE_URL must be postgres://[user[:password]@]host[:port]/database");
    process.exit(1);
  }
  url.pathname = "/postgres";
  console.log(url.href);
  console.log(db);
' "$DATABASE_URL")
admin_url=${parsed%%$'\n'*}
db=${parsed#*$'\n'}

# Variables are not interpolated in `psql -c`, so the statements come on standard input.
psql "$admin_url" -X -q -v ON_ERROR_STOP=1 -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
