// Encapsulation codec and pcap (issue #3). Filled in by the codec work.
export {};
