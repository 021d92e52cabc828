#!/bin/sh
# Stand-in for the postgres image in compose-test.sh (no registry is reachable there): Debian's
# PostgreSQL, configured the way that image is: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
# on the first start, data in /var/lib/postgresql/data, password logins from any address.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown postgres "$data" /run/postgresql
chmod 700 "$data"
if [ ! -s "$data/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pw
  chown postgres /tmp/pw
  runuser -u postgres -- "$bin/initdb" -D "$data" -U "$POSTGRES_USER" --pwfile=/tmp/pw \
    --auth-host=scram-sha-256 --auth-local=trust
  rm /tmp/pw
  echo "listen_addresses = '*'" >> "$data/postgresql.conf"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$data/pg_hba.conf"
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -o "-c listen_addresses=''" -w start
  runuser -u postgres -- "$bin/createdb" -U "$POSTGRES_USER" "$POSTGRES_DB"
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -w stop
fi
exec runuser -u postgres -- "$bin/postgres" -D "$data"
