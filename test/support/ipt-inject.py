#!/usr/bin/env python3
"""Raw IPv4 sender and sniffer for the iptables kernel comparison.

send:  reads JSON packets {id, proto, src, dst, sport, dport, type, code, flags, payload}
       from stdin and sends each as one IPv4 datagram (IP_HDRINCL) with the IP ID
       set to `id`: TCP (flags, default SYN), UDP, or ICMP with correct checksums (conntrack
       checks them).
sniff IFACE: prints the IP ID of every IPv4 packet arriving on IFACE, one per
       line, flushed; "ready" first.
"""
import json, socket, struct, sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def build(p):
    src = socket.inet_aton(p["src"])
    dst = socket.inet_aton(p["dst"])
    payload = b"x" * p.get("payload", 0)
    proto = p["proto"]
    if proto == 6:
        hdr = struct.pack("!HHIIBBHHH", p["sport"], p["dport"], 1000, 0, 5 << 4, p.get("flags", 0x02), 65535, 0, 0)
        seg = hdr + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
        c = csum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    elif proto == 17:
        seg = struct.pack("!HHHH", p["sport"], p["dport"], 8 + len(payload), 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 17, len(seg))
        c = csum(pseudo + seg) or 0xFFFF
        seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    else:
        seg = struct.pack("!BBHHH", p["type"], p["code"], 0, p["id"] & 0xFFFF, 1) + payload
        seg = seg[:2] + struct.pack("!H", csum(seg)) + seg[4:]
    total = 20 + len(seg)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, p["id"] & 0xFFFF, 0, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + seg


def send():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    for p in json.load(sys.stdin):
        s.sendto(build(p), (p["dst"], 0))


def sniff(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    print("ready", flush=True)
    while True:
        data = s.recv(65535)
        if len(data) >= 34 and data[14] >> 4 == 4:
            print(struct.unpack("!H", data[18:20])[0], flush=True)


if __name__ == "__main__":
    send() if sys.argv[1] == "send" else sniff(sys.argv[2])
