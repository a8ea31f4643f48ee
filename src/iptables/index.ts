// iptables loading, matching and tracing (issue #4). Filled in by the iptables work.
export {};
