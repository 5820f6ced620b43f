#!/usr/bin/env bash
# Installs the Debian packages mmuvp builds and tests with, skipping those already present.
set -euo pipefail
packages=(
  build-essential cmake git pkg-config
  libsystemc-dev verilator
  googletest libgtest-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  gtkwave yosys
  qemu-system-x86 busybox-static cpio
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
