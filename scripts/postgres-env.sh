#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, pg_ctl, postgres) are installed, from
# Debian's `postgresql` package, and prints the directory holding them on stdout (e.g.
# /usr/lib/postgresql/15/bin). The integration tests start their own throw-away server
# from there (tests/src/postgres.rs); nothing here creates or starts a cluster.
# Idempotent and fast when PostgreSQL is already installed. Installing needs root
# (apt-get update once, then apt-get install -y postgresql); progress goes to stderr.
set -euo pipefail

log() { echo "postgres-env: $*" >&2; }

# The directory holding initdb, pg_ctl and postgres, or nothing.
find_bindir() {
  local dir candidate
  # Debian keeps the server programs out of PATH, one directory per major version;
  # prefer the newest. A PATH entry (possibly a symlink into such a directory) also counts.
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  if candidate=$(command -v initdb 2>/dev/null); then
    dir=$(dirname "$(readlink -f "$candidate")")
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  fi
  return 1
}

if bindir=$(find_bindir); then
  echo "$bindir"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "PostgreSQL is not installed and installing it needs root: run 'apt-get install -y postgresql' as root"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "PostgreSQL is not installed and apt-get is not available (Debian or Ubuntu expected)"
  exit 1
fi

log "PostgreSQL server programs not found; running apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update >&2
log "installing Debian's postgresql package (apt-get install -y postgresql)"
DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2

if ! bindir=$(find_bindir); then
  log "the postgresql package is installed but initdb, pg_ctl and postgres were not found under /usr/lib/postgresql/*/bin"
  exit 1
fi
log "installed: $bindir"
echo "$bindir"
