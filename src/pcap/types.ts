/** Shared shapes of the pcap readers and writer. */

/** LINKTYPE_ETHERNET (tcpdump.org link-layer header types). */
export const LINKTYPE_ETHERNET = 1;

/** One captured packet. */
export interface CapturedPacket {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Nanoseconds within the second (0..999999999), whatever the file's resolution. */
  tsNsec: number;
  /** The captured bytes (a copy, owned by the caller). */
  data: Uint8Array;
  /** Length of the packet on the wire (>= data.length when the capture was truncated). */
  origLen: number;
  /** Link type of the interface that captured it. */
  linkType: number;
}

/** A whole capture file. */
export interface Capture {
  format: 'pcap' | 'pcapng';
  /** Link type of the (first) interface. */
  linkType: number;
  /** Classic pcap: true if the file's timestamps are in nanoseconds. */
  nanos: boolean;
  /** True when the file was written big-endian. */
  bigEndian: boolean;
  snaplen: number;
  packets: CapturedPacket[];
}
