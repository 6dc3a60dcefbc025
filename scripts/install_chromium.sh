#!/usr/bin/env bash
# Install Debian's chromium (used headless by tests/test_book_html.py) when it is missing.
# CI runs as root on a fresh Debian machine with the apt registry reachable; a developer
# without root is told what to install instead.
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_chromium.sh: $CHROMIUM is missing and this is not root." >&2
  echo "  Install it with: sudo apt-get install --no-install-recommends chromium" >&2
  echo "  (or set CHROMIUM=/path/to/chromium). tests/test_book_html.py needs it." >&2
  exit 1
fi
echo "install_chromium.sh: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x "$CHROMIUM"
