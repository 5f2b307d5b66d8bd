#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), lints, and runs every workspace's test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npx biome check .
npx tap
