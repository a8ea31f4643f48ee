// Compiled iptables matcher (issue #4). Exports are added here.
