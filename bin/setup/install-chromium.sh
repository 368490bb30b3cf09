#!/usr/bin/env bash
# Installs headless Chromium from Debian's packages (the waterfall screenshot test renders the
# local run's page with it). Does nothing when it is already there. `npm run setup:chromium`.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  chromium --version
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
