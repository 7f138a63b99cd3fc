#!/usr/bin/env bash
# System packages the dashboard's browser test needs (Debian's headless Chromium and its driver).
# Kept separate from scripts/install_system_deps.sh until that script exists; once it installs
# chromium and chromium-driver this file can go.
# Idempotent: a machine that already has both binaries is left alone, so CI reruns cost nothing.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
