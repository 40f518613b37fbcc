#!/usr/bin/env bash
# Installs the Debian packages that the lab and the tests use. As root it runs apt-get;
# otherwise it only reports what is missing, and the tests that need it say why they skip.
set -euo pipefail

PACKAGES=(snmpd snmp snmptrapd chromium iproute2 procps netconfd netconfd-module-ietf-interfaces
          netconfd-module-ietf-system frr frr-snmp openssh-server net-tools ethtool
          iptables lldpd)  # iptables: the netns lab's NFQUEUE latency/loss where the kernel has no netem;
                           # lldpd: LLDP between the netns lab's nodes

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "not root: cannot install ${missing[*]}; tests that need them will skip" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "no apt-get: install ${missing[*]} by hand" >&2
    exit 0
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d or not, the daemons must not start system-wide: the lab starts its own.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts daemons on install where it can; the lab and the tests start their own.
if command -v service >/dev/null 2>&1; then
    for s in snmpd snmptrapd frr ssh lldpd; do service "$s" stop >/dev/null 2>&1 || true; done
fi
