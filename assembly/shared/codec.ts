// Constants shared by the WASM codec (assembly/codec) and its TypeScript
// wrappers (src/codec). Written in the common subset of TypeScript and
// AssemblyScript: plain numeric `export const`, nothing else, so that both
// compilers read the same file.

// ---- Header sizes (bytes) -------------------------------------------------
export const ETH_HLEN = 14;
/** Ethernet address length. */
export const ETH_ALEN = 6;
export const VLAN_HLEN = 4;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
export const UDP_HLEN = 8;
export const VXLAN_HLEN = 8;

// ---- EtherTypes and IP protocol numbers -----------------------------------
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

// ---- IPv4 header fields (RFC 791; Linux include/net/ip.h) -----------------
/** frag_off bits: don't fragment, more fragments, and the offset mask (in 8-byte units). */
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;
/** Linux's default TTL (net.ipv4.ip_default_ttl) and ICMP's. */
export const IPDEFTTL = 64;
/** TOS bits (RFC 1349) and the precedence Linux gives ICMP errors (include/uapi/linux/ip.h). */
export const IPTOS_TOS_MASK = 0x1e;
export const IPTOS_PREC_INTERNETCONTROL = 0xc0;

// ---- ICMP (RFC 792; Linux include/uapi/linux/icmp.h) ----------------------
export const ICMP_HLEN = 8;
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
/** Codes of ICMP_DEST_UNREACH. */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
/** Network / host administratively prohibited (RFC 1122). */
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_PKT_FILTERED = 13;
/** Code of ICMP_TIME_EXCEEDED. */
export const ICMP_EXC_TTL = 0;
/** Longest ICMP error Linux sends (576, the minimum reassembly size). */
export const ICMP_ERROR_MAX = 576;

// ---- ARP (RFC 826; Linux include/uapi/linux/if_arp.h) ---------------------
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
/** An Ethernet/IPv4 ARP packet: 8-byte header, two MAC + IPv4 pairs. */
export const ARP_HLEN = 28;

// ---- Ports -----------------------------------------------------------------
/** Linux's VXLAN default (`dstport 0`), which Flannel's flannel.1 uses. */
export const VXLAN_PORT_LINUX = 8472;
/** IANA VXLAN port (RFC 7348), which Calico's vxlan.calico uses. */
export const VXLAN_PORT_IANA = 4789;
/** Flannel's udp backend (flanneld in user space, flannel0 TUN device). */
export const FLANNEL_UDP_PORT = 8285;
/** Linux default net.ipv4.ip_local_port_range: the VXLAN source-port range when none is set. */
export const LOCAL_PORT_MIN = 32768;
export const LOCAL_PORT_MAX = 60999;

// ---- VXLAN header bits (RFC 7348) -----------------------------------------
/** The I flag in the first byte: a valid VNI is present. */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_VNI_MAX = 0xffffff;

// ---- Encapsulation modes and their overhead over the inner IP packet ------
export const MODE_VXLAN = 1;
export const MODE_IPIP = 2;
export const MODE_FLANNEL_UDP = 3;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 (the inner Ethernet header rides along). */
export const VXLAN_OVERHEAD = 50;
/** Same over an IPv6 underlay (40-byte IPv6 header). */
export const VXLAN6_OVERHEAD = 70;
/** Outer IPv4 header only: the inner IP packet follows directly (protocol 4). */
export const IPIP_OVERHEAD = 20;
/** Outer IPv4 20 + UDP 8: flanneld sends the raw inner IP packet as the UDP payload. */
export const FLANNEL_UDP_OVERHEAD = 28;
/** Calico's figures for WireGuard (felix int_dataplane.go). */
export const WIREGUARD_OVERHEAD = 60;
export const WIREGUARD6_OVERHEAD = 80;

// ---- Status codes (0 = OK). Names live in src/codec/status.ts ------------
export const ST_OK = 0;
export const ST_TRUNC_ETH = 1;
export const ST_NOT_IPV4 = 2;
export const ST_TRUNC_IPV4 = 3;
export const ST_IPV4_VERSION = 4;
export const ST_IPV4_IHL = 5;
export const ST_IPV4_TOTLEN = 6;
export const ST_IPV4_TOTLEN_SHORT = 7;
export const ST_IPV4_FRAGMENT = 8;
export const ST_IPV4_CHECKSUM = 9;
export const ST_NOT_UDP = 10;
export const ST_NOT_IPIP = 11;
export const ST_TRUNC_UDP = 12;
export const ST_UDP_DPORT = 13;
export const ST_UDP_LENGTH = 14;
export const ST_UDP_CHECKSUM = 15;
export const ST_TRUNC_VXLAN = 16;
export const ST_VXLAN_I_FLAG = 17;
export const ST_VXLAN_VNI = 18;
export const ST_VXLAN_RESERVED = 19;
export const ST_INNER_TOO_SHORT = 20;
export const ST_INNER_NOT_IPV4 = 21;
export const ST_TOO_BIG = 22;
export const ST_NO_HEADROOM = 23;
export const ST_OUT_OF_BOUNDS = 24;
export const ST_BAD_MODE = 25;
export const ST_COUNT = 26;

// ---- Frame table (batch calls): one 16-byte entry per frame ---------------
export const FE_BYTES = 16;
/** Word 0: address of the frame (in place: of the inner frame; copy: source). */
export const FE_PTR = 0;
/** Word 1: length of that frame. */
export const FE_LEN = 1;
/** Word 2: copy destination (encapsulation with copy); unused otherwise. */
export const FE_DST = 2;
/** Word 3: written by the call: the frame's status code. */
export const FE_STATUS = 3;

// ---- Encapsulation config block (byte offsets) -----------------------------
export const ENC_DST_MAC = 0;
export const ENC_SRC_MAC = 6;
export const ENC_SRC_IP = 12;
export const ENC_DST_IP = 16;
export const ENC_VNI = 20;
export const ENC_DPORT = 24;
export const ENC_PORT_MIN = 28;
export const ENC_PORT_MAX = 32;
/** 0 = inherit the inner IPv4 TTL (64 when the inner packet is not IPv4). */
export const ENC_TTL = 36;
export const ENC_TOS = 40;
export const ENC_FLAGS = 44;
/** Next IPv4 identification; the call advances it by one per frame. */
export const ENC_ID = 48;
export const ENC_SPORT = 52;
export const ENC_SEED = 56;
export const ENC_MODE = 60;
/** Prebuilt outer headers (filled by codecEncapPrepare). */
export const ENC_TEMPLATE = 64;
export const ENC_BYTES = 128;
/** Set DF in the outer IPv4 header. */
export const ENC_F_DF = 1;
/** Copy DF from the inner IPv4 header (Linux `df inherit`, and IPIP tunnels always). */
export const ENC_F_DF_INHERIT = 2;
/** Compute the outer UDP checksum (else zero; Linux vxlan `udpcsum`, on by default over IPv4). */
export const ENC_F_UDP_CSUM = 4;
/** Use ENC_SPORT as the source port instead of the flow hash. */
export const ENC_F_FIXED_SPORT = 8;
/** Copy ECN from the inner header as RFC 6040 / Linux ip_tunnel_ecn_encap does. */
export const ENC_F_ECN = 16;

// ---- Decapsulation config block (byte offsets) ----------------------------
export const DEC_MODE = 0;
export const DEC_FLAGS = 4;
export const DEC_PORT_A = 8;
export const DEC_PORT_B = 12;
/** Number of configured VNIs; -1 accepts any VNI. */
export const DEC_VNI_COUNT = 16;
export const DEC_VNIS = 20;
export const DEC_MAX_VNIS = 16;
export const DEC_BYTES = 84;
/** Verify the outer IPv4 header checksum (Linux ip_rcv always does). */
export const DEC_F_IP_CSUM = 1;
/** Verify a non-zero outer UDP checksum. */
export const DEC_F_UDP_CSUM = 2;
/** Ignore reserved VXLAN bits as RFC 7348 says (default: drop, as Linux vxlan_rcv does). */
export const DEC_F_IGNORE_RESERVED = 4;

// ---- Decoded frame record: R_WORDS i32 words per frame --------------------
export const R_STATUS = 0;
export const R_ERR_OFFSET = 1;
export const R_ERR_VALUE = 2;
export const R_OUTER_VLAN = 3;
export const R_OUTER_L3 = 4;
export const R_OUTER_TOS = 5;
export const R_OUTER_TOTLEN = 6;
export const R_OUTER_ID = 7;
export const R_OUTER_FRAG = 8;
export const R_OUTER_TTL = 9;
export const R_OUTER_PROTO = 10;
export const R_OUTER_CSUM = 11;
export const R_OUTER_SRC = 12;
export const R_OUTER_DST = 13;
export const R_UDP_SPORT = 14;
export const R_UDP_DPORT = 15;
export const R_UDP_LEN = 16;
export const R_UDP_CSUM = 17;
export const R_VXLAN_FLAGS = 18;
export const R_VNI = 19;
export const R_VXLAN_RSVD = 20;
export const R_INNER_OFF = 21;
export const R_INNER_LEN = 22;
export const R_INNER_ETHERTYPE = 23;
export const R_INNER_VLAN = 24;
export const R_INNER_L3 = 25;
export const R_INNER_SRC = 26;
export const R_INNER_DST = 27;
export const R_INNER_PROTO = 28;
export const R_INNER_SPORT = 29;
export const R_INNER_DPORT = 30;
export const R_INNER_TTL = 31;
export const R_WORDS = 32;
