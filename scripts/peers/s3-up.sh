#!/bin/bash
# Starts a single-node Ceph (one monitor, one in-memory "memstore" OSD, radosgw) on 127.0.0.1
# only, on free ports, with everything under DIR: a real S3-compatible server that checks
# SigV4 signatures, for the s3 and lambda tests. Installs radosgw from Debian when missing.
# Usage: s3-up.sh DIR   (DIR is created; stop with s3-down.sh DIR)
# Prints, and writes to DIR/env, lines to source:
#   SIREN_S3_ENDPOINT=http://127.0.0.1:PORT  AWS_ACCESS_KEY_ID=...  AWS_SECRET_ACCESS_KEY=...
# The key pair is the test user created here (the public example key of the AWS docs), not
# a real credential. Exit 0 ready; 3 radosgw is not installed and cannot be installed; 1 failed.
set -eu
C=${1:?usage: s3-up.sh DIR}
mkdir -p "$C"
C=$(cd "$C" && pwd)
log() { echo "s3-up: $*" >&2; }

if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null ||
   ! command -v ceph-osd >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing radosgw ceph-mon ceph-osd (Debian packages, about 64 MiB)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends -y \
        radosgw ceph-mon ceph-osd >"$C/apt.log" 2>&1; then
      (apt-get update >>"$C/apt.log" 2>&1 &&
       DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends -y \
         radosgw ceph-mon ceph-osd >>"$C/apt.log" 2>&1) ||
        { log "cannot install radosgw (see $C/apt.log)"; exit 3; }
    fi
  else
    log "radosgw is not installed (apt-get install radosgw ceph-mon ceph-osd) and cannot be" \
        "installed here (not root or no apt-get)"
    exit 3
  fi
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
MON2=$(free_port); MON1=$(free_port); RGW=$(free_port)
while [ "$MON1" = "$MON2" ]; do MON1=$(free_port); done
while [ "$RGW" = "$MON1" ] || [ "$RGW" = "$MON2" ]; do RGW=$(free_port); done

rm -rf "$C/run" "$C/log" "$C/mon" "$C/osd" "$C/rgw"
mkdir -p "$C/run" "$C/log" "$C/mon" "$C/osd" "$C/rgw"
FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$C/ceph.conf" <<CONF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$MON2,v1:127.0.0.1:$MON1]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
public_network = 127.0.0.0/8
cluster_network = 127.0.0.0/8
ms_bind_ipv4 = true
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# Without crc modes radosgw fails with -13 and waits 300 s.
ms_mon_client_mode = crc
ms_client_mode = crc
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
osd_objectstore = memstore
memstore_device_bytes = 2147483648
run_dir = $C/run
admin_socket = $C/run/\$name.asok
pid_file = $C/run/\$name.pid
log_file = $C/log/\$name.log
mon_data = $C/mon/\$cluster-\$id
osd_data = $C/osd/\$cluster-\$id
keyring = $C/keyring
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$RGW
rgw_data = $C/rgw
CONF
ceph-authtool --create-keyring "$C/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON2,v1:127.0.0.1:$MON1]" --fsid "$FSID" \
  "$C/monmap" >/dev/null
ceph-mon -c "$C/ceph.conf" --mkfs -i a --monmap "$C/monmap" --keyring "$C/keyring"
ceph-mon -c "$C/ceph.conf" -i a
OUUID=$(cat /proc/sys/kernel/random/uuid)
ID=$(timeout 30 ceph -c "$C/ceph.conf" osd new "$OUUID")
mkdir -p "$C/osd/ceph-$ID"
timeout 60 ceph-osd -c "$C/ceph.conf" -i "$ID" --mkfs --osd-uuid "$OUUID" 2>/dev/null
ceph-osd -c "$C/ceph.conf" -i "$ID" 2>/dev/null
timeout 90 radosgw -c "$C/ceph.conf" -n client.rgw.a
ok=0
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$RGW/"; then ok=1; break; fi
  sleep 0.5
done
[ $ok = 1 ] || { log "radosgw did not answer on 127.0.0.1:$RGW (logs in $C/log)"; exit 1; }
AK=AKIDEXAMPLE
SK='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
timeout 60 radosgw-admin -c "$C/ceph.conf" user create --uid=tester --display-name=Tester \
  --access-key=$AK --secret-key="$SK" >/dev/null
cat >"$C/env" <<ENV
SIREN_S3_ENDPOINT=http://127.0.0.1:$RGW
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
ENV
grep SIREN_S3_ENDPOINT "$C/env"
log "radosgw ready on http://127.0.0.1:$RGW (state in $C)"
