#!/usr/bin/env bash
# Debian packages the tests need: PostgreSQL and Redis, started as plain processes by the Celery
# topology test; Chromium, its driver and a font for the browser tests (Airflow UI, dashboard). Idempotent: installs only what dpkg does not already have, so a
# warm machine pays one dpkg query and nothing else. libfaketime: the test that runs one day at two
# wall-clock times (tests/verification/test_run_clock.py).
set -euo pipefail

PACKAGES=(postgresql redis-server chromium chromium-driver fonts-dejavu-core libfaketime)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# Packaged services must not start themselves: the tests run their own instances on free loopback ports.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy_rc ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
  $SUDO chmod +x "$policy_rc"
  created_policy=1
fi
trap 'if [[ $created_policy -eq 1 ]]; then $SUDO rm -f "$policy_rc"; fi' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
