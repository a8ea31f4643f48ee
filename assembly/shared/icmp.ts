// ICMP (RFC 792) types and codes, named as Linux names them in
// include/uapi/linux/icmp.h. Shared by AssemblyScript and TypeScript: plain
// numeric `export const`, nothing else (see codec.ts).

// ---- Types ----------------------------------------------------------------
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;

// ---- Codes of ICMP_DEST_UNREACH ---------------------------------------------
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PORT_UNREACH = 3;
/** Fragmentation needed and DF set; the next-hop MTU is in bytes 6..7. */
export const ICMP_FRAG_NEEDED = 4;
/** Network administratively prohibited (RFC 1122). */
export const ICMP_NET_ANO = 9;
/** Host administratively prohibited (RFC 1122). */
export const ICMP_HOST_ANO = 10;
/** Communication administratively prohibited (RFC 1812): iptables `REJECT --reject-with icmp-admin-prohibited`. */
export const ICMP_PKT_FILTERED = 13;

// ---- Codes of ICMP_TIME_EXCEEDED --------------------------------------------
export const ICMP_EXC_TTL = 0;

// ---- Layout -----------------------------------------------------------------
/** ICMP header (`struct icmphdr`): type, code, checksum and 4 bytes of rest; an error quotes the offending IP header after it. */
export const ICMP_HLEN = 8;
