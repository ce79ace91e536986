#!/usr/bin/env bash
# `siren run` across several hosts, on one machine: three network namespaces (h0, h1, h2), each
# with one veth link to a bridge in a fourth namespace (the switch), addresses 10.99.0.1-3/24.
# mpirun starts in h0 and launches its daemons through a small rsh agent that maps a host
# address to `ip netns exec NS` instead of ssh; the hostfile names the hosts by address (no
# /etc/hosts), one slot each, so rank 0 (the client) runs in h0 and the two invokers in h1 and
# h2, talking TCP over the veth links only. The filesystem is shared, as on a cluster: the KV
# directory has the same path on every host. Checks: every rank sits in its own namespace
# (`ip netns identify`), the job's MPI traffic crossed the links, and summary.json and
# epochs.csv are byte-identical to the same job on one host (the virtual clock makes them
# independent of the rank layout). Each host also gets its own UTS namespace (hostname h0,
# h1, h2), so Open MPI sees three different nodes.
# Exit 0 passed, 1 failed, 77 skipped (not root, no ip, no mpirun, or namespaces cannot be
# made here, e.g. without CAP_NET_ADMIN / CAP_SYS_ADMIN). Namespaces and files are removed on
# every exit. Needs SIREN_BIN (set by ctest).
set -uo pipefail

skip() {
  echo "SKIPPED: netns multi-host test: $*" >&2
  exit 77
}
fail() {
  echo "FAILED: netns multi-host test: $*" >&2
  exit 1
}

bin=${SIREN_BIN:-}
[ -x "$bin" ] || fail "SIREN_BIN is not an executable siren binary ('$bin')"
[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces (running as uid $(id -u))"
command -v ip >/dev/null || skip "no 'ip' command (apt-get install iproute2)"
command -v unshare >/dev/null || skip "no 'unshare' command (util-linux)"
command -v hostname >/dev/null || skip "no 'hostname' command (apt-get install hostname)"
command -v mpirun >/dev/null || skip "no mpirun (apt-get install openmpi-bin)"
mpirun --version 2>/dev/null | grep -q "Open MPI" ||
  skip "mpirun is not Open MPI (the rsh agent option is Open MPI's)"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Names unique to this run: two runs of the test at once never touch each other's namespaces.
tag="siren-$$-$RANDOM"
hosts=(h0 h1 h2)
addrs=(10.99.0.1 10.99.0.2 10.99.0.3)
sw="$tag-sw"
made=()
work=""

cleanup() {
  local ns pid
  for ns in "${made[@]}"; do
    # Daemons or ranks left by a failed run live only in our namespaces: end them by id.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

work=$(mktemp -d "${TMPDIR:-/tmp}/siren-netns-XXXXXX") || fail "mktemp -d failed"

# The first namespace doubles as the probe: where it cannot be made, the test cannot run.
if ! ip netns add "$sw" 2>"$work/probe.err"; then
  skip "cannot create a network namespace here ($(head -n 1 "$work/probe.err"); needs" \
       "CAP_NET_ADMIN and CAP_SYS_ADMIN)"
fi
made+=("$sw")
ip -n "$sw" link add br0 type bridge 2>"$work/probe.err" ||
  skip "cannot create a bridge in a namespace ($(head -n 1 "$work/probe.err"))"
ip -n "$sw" link set br0 up || fail "cannot bring up the bridge"

for i in 0 1 2; do
  ns="$tag-${hosts[$i]}"
  ip netns add "$ns" || fail "cannot create namespace $ns"
  made+=("$ns")
  # Both ends are created inside the namespaces, so no name ever appears on the real host.
  ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$ns" ||
    fail "cannot create the veth pair of $ns"
  ip -n "$sw" link set "p$i" master br0 up || fail "cannot attach p$i to the bridge"
  ip -n "$ns" addr add "${addrs[$i]}/24" dev eth0 || fail "cannot address $ns"
  ip -n "$ns" link set lo up || fail "cannot bring up lo in $ns"
  ip -n "$ns" link set eth0 up || fail "cannot bring up eth0 in $ns"
done
# A bridge port forwards once it leaves the listening and learning states (at once while STP
# is off, the default); wait for it rather than assume it.
for i in 0 1 2; do
  ok=0
  for _ in $(seq 1 100); do
    if ip -n "$sw" -d link show "p$i" | grep -q "bridge_slave state forwarding"; then
      ok=1
      break
    fi
    sleep 0.1
  done
  [ $ok = 1 ] || fail "bridge port p$i never reached the forwarding state"
done

# The rsh agent: Open MPI calls it as `AGENT [options] HOST COMMAND...`, where COMMAND is a
# line for the remote shell; it runs in HOST's namespace, under its own hostname.
agent="$work/netns-agent"
{
  echo '#!/bin/sh'
  echo 'while [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done'
  echo 'host=$1; shift'
  echo 'case "$host" in'
  for i in 0 1 2; do
    echo "  ${addrs[$i]}) ns=$tag-${hosts[$i]} name=${hosts[$i]} ;;"
  done
  echo '  *) echo "netns agent: unknown host $host" >&2; exit 255 ;;'
  echo 'esac'
  echo "echo \"\$host \$ns\" >>'$work/agent.log'"
  echo 'exec ip netns exec "$ns" unshare --uts sh -c "hostname $name && $*"'
} >"$agent"
chmod 0755 "$agent"
for i in 0 1 2; do echo "${addrs[$i]} slots=1"; done >"$work/hostfile"

# in_host0 CMD...: runs CMD in h0's namespace with hostname h0 (where mpirun runs).
in_host0() {
  ip netns exec "$tag-h0" unshare --uts sh -c 'hostname h0 && exec "$@"' sh "$@"
}
mpi=(timeout 300 mpirun -n 3 --hostfile "$work/hostfile"
     --mca plm_rsh_agent "$agent" --mca plm_rsh_no_tree_spawn 1
     --mca btl self,tcp --mca btl_tcp_if_include 10.99.0.0/24
     --mca oob_tcp_if_include 10.99.0.0/24)

# 1. Where the ranks run: one per namespace, in rank order.
in_host0 "${mpi[@]}" --tag-output ip netns identify >"$work/where.out" 2>"$work/where.err" ||
  { cat "$work/where.err" >&2; fail "mpirun could not launch 3 ranks across the namespaces"; }
for i in 0 1 2; do
  grep -q "^\[1,$i\]<stdout>:$tag-${hosts[$i]}\$" "$work/where.out" ||
    { cat "$work/where.out" >&2; fail "rank $i did not run in $tag-${hosts[$i]}"; }
done
echo "ranks: $(sed "s/$tag-//" "$work/where.out" | sort | tr '\n' ' ')"

# 2. The job, on one host and across the three.
# SIREN_NETNS_JOB replaces the job's arguments (results/scale/scale.sh runs a wide job this
# way), and SIREN_NETNS_KEEP names a directory that receives the multi-host run's outputs.
if [ -n "${SIREN_NETNS_JOB:-}" ]; then
  read -r -a job <<<"run $SIREN_NETNS_JOB --quiet"
else
  job=(run --workload lr-synthetic --rows 6000 --hash-bits 14 --batch 200 --max-epochs 2
       --scheduler static:n=3,m=1024 --clock virtual --quiet)
fi
mpirun -n 1 --oversubscribe "$bin" "${job[@]}" --out "$work/one" >"$work/one.log" 2>&1 ||
  { cat "$work/one.log" >&2; fail "the single-host run failed"; }

bytes() { ip netns exec "$1" cat "/sys/class/net/eth0/statistics/$2_bytes"; }
before1=$(bytes "$tag-h1" rx)
before2=$(bytes "$tag-h2" rx)
in_host0 "${mpi[@]}" "$bin" "${job[@]}" --kv "file:$work/multi-kv" --out "$work/multi" \
  >"$work/multi.log" 2>&1 || { cat "$work/multi.log" >&2; fail "the multi-host run failed"; }
rx1=$(($(bytes "$tag-h1" rx) - before1))
rx2=$(($(bytes "$tag-h2" rx) - before2))
echo "received over the veth links during the job: h1 $rx1 bytes, h2 $rx2 bytes"
# The daemons' wire-up, the events and the responses cross the links: several KB each, where
# background chatter (ARP, IPv6 neighbour discovery) is a few hundred bytes.
((rx1 > 2000 && rx2 > 2000)) || fail "too little traffic reached h1/h2: the ranks did not talk" \
                                       "over the veth links"
grep -q " $tag-h1\$" "$work/agent.log" && grep -q " $tag-h2\$" "$work/agent.log" ||
  fail "the agent never launched daemons in h1 and h2 ($(cat "$work/agent.log"))"
# The job's objects are in the KV directory every host shares.
[ -n "$(ls -A "$work/multi-kv" 2>/dev/null)" ] || fail "nothing in the shared KV directory"

for f in summary.json epochs.csv; do
  [ -s "$work/multi/$f" ] || fail "the multi-host run wrote no $f"
  if ! cmp -s "$work/one/$f" "$work/multi/$f"; then
    diff "$work/one/$f" "$work/multi/$f" >&2
    fail "$f differs between one host and three"
  fi
done
if [ -n "${SIREN_NETNS_KEEP:-}" ]; then
  mkdir -p "$SIREN_NETNS_KEEP" && cp -r "$work/multi/." "$SIREN_NETNS_KEEP/" ||
    fail "could not copy the multi-host run to $SIREN_NETNS_KEEP"
fi
echo "summary.json and epochs.csv identical on one host and on three namespaces" \
     "($(grep -c . "$work/multi/epochs.csv") lines of epochs.csv)"
echo "PASSED"
