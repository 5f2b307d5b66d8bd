#!/usr/bin/env bash
# Quick start: installs what the embedded default needs, starts Oxbow on SQLite with two local
# POSIX RSEs under ./var/quickstart, runs a short demo against it, then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

# The embedded default needs no Debian packages (those are for the storage servers the tests start).
OXBOW_SKIP_APT=1 scripts/setup.sh

export OXBOW_DATA_DIR="${OXBOW_DATA_DIR:-$PWD/var/quickstart}"
export OXBOW_PORT="${OXBOW_PORT:-8080}"
export OXBOW_HOST="${OXBOW_HOST:-127.0.0.1}"
mkdir -p "$OXBOW_DATA_DIR"
secret="$OXBOW_DATA_DIR/root-password"
if [ -z "${OXBOW_ROOT_PASSWORD:-}" ]; then
  if [ ! -f "$secret" ]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))' > "$secret")
    first=1
  fi
  OXBOW_ROOT_PASSWORD="$(cat "$secret")"
fi
export OXBOW_ROOT_PASSWORD

node cli/bin/oxbow.js server &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM

export OXBOW_URL="http://$OXBOW_HOST:$OXBOW_PORT" OXBOW_ACCOUNT=root OXBOW_AUTH_TYPE=userpass OXBOW_USERNAME=root OXBOW_PASSWORD="$OXBOW_ROOT_PASSWORD"
for _ in $(seq 1 100); do
  node -e 'require("http").get(process.env.OXBOW_URL+"/ping",r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' && break
  kill -0 $server 2>/dev/null || { echo "quickstart: the server did not start" >&2; exit 1; }
  sleep 0.2
done

if [ "${first:-0}" = 1 ]; then
  echo "=================================================================="
  echo " Oxbow is running at $OXBOW_URL"
  echo " root account: username 'root', password '$OXBOW_ROOT_PASSWORD'"
  echo " (shown once; kept in $secret with mode 0600)"
  echo "=================================================================="
fi

node scripts/demo.mjs

echo
echo "Oxbow keeps serving at $OXBOW_URL (API docs: $OXBOW_URL/api/docs). Press Ctrl-C to stop."
echo "Try: OXBOW_URL=$OXBOW_URL OXBOW_USERNAME=root OXBOW_PASSWORD=… npx oxbow did list demo:*"
wait $server
