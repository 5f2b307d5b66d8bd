#!/usr/bin/env bash
# Installs everything Oxbow needs on a fresh Debian machine with Node 20: system packages
# (only those missing, via apt-get), npm packages, then builds all workspaces.
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || want+=("$pkg")
done < scripts/apt-packages.txt
if [ ${#want[@]} -gt 0 ] && [ "${OXBOW_SKIP_APT:-}" != 1 ]; then
  echo "setup: installing Debian packages: ${want[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # `npm ci` refuses this lockfile under npm 11 (it wants optional packages of other platforms
  # recorded); `npm install` installs the same locked versions.
  npm install --no-audit --no-fund --loglevel=error
fi
echo "setup: building"
npx tsc -b
