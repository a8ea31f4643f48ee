#!/usr/bin/env bash
# Two Flannel-style nodes in network namespaces, joined by a veth underlay,
# each with flannel.1 (VXLAN id 1 dstport 8472 nolearning, static FDB and
# neighbour entries, "10.244.X.0/24 via 10.244.X.0 dev flannel.1 onlink",
# exactly what flanneld programs) and a pod behind a cni0 bridge. Sends
# ICMP echo and UDP from pod to pod and captures the underlay veth of
# node 1 with tcpdump. TX checksum offload is off on every veth, so the
# captured bytes are the final bytes a NIC would send.
#
# usage: scripts/kernel/vxlan-capture.sh OUT.pcap
# needs: root, ip (iproute2), bridge, tcpdump, ethtool, ping, bash /dev/udp
# Namespaces are named cnk-codec-<pid>-* and deleted on exit.
set -euo pipefail

out=${1:?usage: vxlan-capture.sh OUT.pcap}
P="cnk-codec-$$-"
N1=${P}n1 N2=${P}n2 POD1=${P}p1 POD2=${P}p2
TCPDUMP_PID=

cleanup() {
  if [[ -n $TCPDUMP_PID ]]; then kill "$TCPDUMP_PID" 2>/dev/null || true; fi
  for ns in "$POD1" "$POD2" "$N1" "$N2"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

for ns in "$N1" "$N2" "$POD1" "$POD2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done

# Underlay: one veth, node addresses 192.168.50.1 and .2, fixed MACs.
ip link add u1 netns "$N1" address 02:50:00:00:00:01 type veth peer name u2 netns "$N2" address 02:50:00:00:00:02
ip -n "$N1" link set u1 name eth0
ip -n "$N2" link set u2 name eth0

node() { # node NS X  (X = 1 or 2): underlay address, flannel.1, cni0, one pod
  local ns=$1 x=$2 pod=$3
  ip -n "$ns" addr add "192.168.50.$x/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  # flannel.1 as flanneld creates it (pkg/backend/vxlan/device.go): VNI 1,
  # kernel default port (8472), no learning, VtepMAC fixed here for stable bytes.
  ip -n "$ns" link add flannel.1 address "0e:00:00:00:00:0$x" type vxlan id 1 dstport 8472 nolearning local "192.168.50.$x" dev eth0
  ip -n "$ns" addr add "10.244.$x.0/32" dev flannel.1
  ip -n "$ns" link set flannel.1 up
  # cni0 bridge with the node's pod gateway, and one pod.
  ip -n "$ns" link add cni0 address "0a:58:0a:f4:0$x:01" type bridge
  ip -n "$ns" addr add "10.244.$x.1/24" dev cni0
  ip -n "$ns" link set cni0 up
  ip link add "veth$x" netns "$ns" type veth peer name eth0 netns "$pod" address "0a:58:0a:f4:0$x:02"
  ip -n "$ns" link set "veth$x" master cni0 up
  ip netns exec "$ns" ethtool -K "veth$x" tx off >/dev/null
  ip -n "$pod" addr add "10.244.$x.2/24" dev eth0
  ip -n "$pod" link set eth0 up
  ip netns exec "$pod" ethtool -K eth0 tx off >/dev/null
  ip -n "$pod" route add default via "10.244.$x.1"
}
node "$N1" 1 "$POD1"
node "$N2" 2 "$POD2"

peer() { # peer NS X Y: what flanneld programs on node X for the lease of node Y
  local ns=$1 y=$3
  ip -n "$ns" route add "10.244.$y.0/24" via "10.244.$y.0" dev flannel.1 onlink
  ip -n "$ns" neigh add "10.244.$y.0" lladdr "0e:00:00:00:00:0$y" dev flannel.1 nud permanent
  bridge -n "$ns" fdb add "0e:00:00:00:00:0$y" dev flannel.1 dst "192.168.50.$y" self permanent
}
peer "$N1" 1 2
peer "$N2" 2 1

# Capture the underlay of node 1 (both directions), VXLAN only.
ip netns exec "$N1" tcpdump -i eth0 -U -s 0 -w "$out" 'udp port 8472' 2>"$out.log" &
TCPDUMP_PID=$!
for _ in $(seq 50); do grep -q listening "$out.log" 2>/dev/null && break; sleep 0.1; done

ip netns exec "$POD1" ping -c 3 -i 0.2 -W 2 10.244.2.2 >/dev/null
ip netns exec "$POD2" ping -c 2 -i 0.2 -W 2 -s 1000 10.244.1.2 >/dev/null
# UDP pod to pod, several flows (different source and destination ports).
for port in 5001 5002 5003 5004; do
  ip netns exec "$POD1" bash -c "exec 3>/dev/udp/10.244.2.2/$port; printf 'cnikit udp %s' $port >&3"
done
ip netns exec "$POD2" bash -c 'exec 3>/dev/udp/10.244.1.2/6000; printf "reply" >&3'
sleep 0.5
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=
rm -f "$out.log"
