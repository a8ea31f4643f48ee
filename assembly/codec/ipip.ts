// IP in IP (RFC 2003 section 3): an outer IPv4 header with protocol 4
// directly in front of the inner IPv4 packet.
//
// +---------------------------+
// |      Outer IP Header      |   Protocol = 4, TTL/DF per tunnel,
// +---------------------------+   ID from the outer stack
// |      Inner IP Header      |
// +---------------------------+
// |                           |
// |         IP Payload        |
// |                           |
// +---------------------------+
//
// On an Ethernet link the outer packet gets a new Ethernet header; the
// inner Ethernet header of the pod's frame is dropped (20 bytes net
// overhead). Linux ip_tunnel_xmit: TTL 0 ("inherit", the ipip default)
// copies the inner TTL; DF is the tunnel's pmtudisc DF or-ed with the
// inner DF; the inner ECN is propagated (ip_tunnel_ecn_encap).

import { IPPROTO_IPIP } from "../shared/codec";

/** Protocol number of the outer header. */
export const IPIP_PROTO: u32 = IPPROTO_IPIP;
